"""HTTP routes other than the Dash pages: health now; machine ingestion and Open311 as they land."""

"""Pure presentation: data in, Dash components and plotly figures out. No database, no session."""

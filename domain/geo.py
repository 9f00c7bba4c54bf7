"""Small geometry for a community-sized map: distances in metres and point-in-polygon (GeoJSON order)."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine); exact enough at the scale of a few hundred metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def degree_box(lat: float, radius_m: float) -> tuple[float, float]:
    """Half-widths (in degrees of latitude and longitude) of a box that holds a circle of radius_m."""
    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
    return dlat, dlon


def point_in_polygon(lat: float, lon: float, polygon: dict | None) -> bool:
    """True when (lat, lon) lies inside a GeoJSON Polygon's outer ring (coordinates are lon, lat)."""
    if not polygon or polygon.get("type") != "Polygon" or not polygon.get("coordinates"):
        return False
    ring = polygon["coordinates"][0]
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / ((yj - yi) or 1e-12) + xi:
            inside = not inside
        j = i
    return inside


def valid_point(lat: object, lon: object) -> bool:
    return (
        isinstance(lat, int | float)
        and isinstance(lon, int | float)
        and not isinstance(lat, bool)
        and not isinstance(lon, bool)
        and math.isfinite(lat)
        and math.isfinite(lon)
        and -90 <= lat <= 90
        and -180 <= lon <= 180
    )

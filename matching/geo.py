"""Great-circle helpers (vectorised)."""

from __future__ import annotations

import numpy as np

from .model import EARTH_RADIUS_KM


def unit_vectors(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """(n, 3) unit vectors of points given in degrees."""
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    c = np.cos(lat)
    return np.stack([c * np.cos(lon), c * np.sin(lon), np.sin(lat)], axis=1)


def chord2_of_km(km: np.ndarray) -> np.ndarray:
    """Squared chord length (unit sphere) of a great-circle distance in km."""
    ang = np.minimum(np.asarray(km, dtype=np.float64) / EARTH_RADIUS_KM, np.pi)
    return (2.0 * np.sin(ang / 2.0)) ** 2


def km_of_chord2(chord2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km of a squared chord length (unit sphere)."""
    half = np.sqrt(np.clip(chord2, 0.0, 4.0)) / 2.0
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(half, 1.0))


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Vectorised haversine distance in km (inputs in degrees)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))

"""Great-circle helpers (vectorised)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .model import EARTH_RADIUS_KM, F64


def unit_vectors(lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike) -> F64:
    """(n, 3) unit vectors of points given in degrees."""
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    c = np.cos(lat)
    return np.stack([c * np.cos(lon), c * np.sin(lon), np.sin(lat)], axis=1)


def chord2_of_km(km: npt.ArrayLike) -> F64:
    """Squared chord length (unit sphere) of a great-circle distance in km."""
    ang = np.minimum(np.asarray(km, dtype=np.float64) / EARTH_RADIUS_KM, np.pi)
    out: F64 = (2.0 * np.sin(ang / 2.0)) ** 2
    return out


def km_of_chord2(chord2: npt.ArrayLike) -> F64:
    """Great-circle distance in km of a squared chord length (unit sphere)."""
    half = np.sqrt(np.clip(np.asarray(chord2, dtype=np.float64), 0.0, 4.0)) / 2.0
    out: F64 = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(half, 1.0))
    return out


def haversine_km(lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike) -> F64:
    """Vectorised haversine distance in km (inputs in degrees)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    out: F64 = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return out

"""How results are labelled over time: one recipe for every Dataset ldnsim returns over time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["time_dataset"]


def time_dataset(data: Mapping[str, Any], coords: Mapping[str, Any], time_h: np.ndarray,
                 time_days: np.ndarray, *, daily: bool, attrs: Mapping[str, Any] | None = None) -> Any:
    """An ``xarray.Dataset`` over the dimension ``time`` with its index coordinates.

    ``time``: the index, hours from t = 0 (``.sel(time=36.0)``, ``.plot()`` on values); ``time_h``: the same
    hours (kept for callers of earlier versions); ``time_days``: days; and for daily results ``day`` (day
    index 0, 1, …; also an index: ``.sel(day=3)``). Daily values are means over the day, labelled at mid-day.
    """
    import xarray as xr

    time_h = np.asarray(time_h, dtype=float)
    all_coords: dict[str, Any] = dict(coords)
    all_coords["time"] = ("time", time_h, {"units": "h", "long_name": "time from the start (h)"})
    all_coords["time_h"] = ("time", time_h, {"units": "h"})
    all_coords["time_days"] = ("time", np.asarray(time_days, dtype=float),
                               {"units": "d (daily output: day index, mean over that day)"})
    if daily:
        all_coords["day"] = ("time", np.floor(time_h / 24.0).astype(int),
                             {"units": "d", "long_name": "day index"})
    ds = xr.Dataset(data, coords=all_coords, attrs=dict(attrs or {}))
    return ds.set_xindex("day") if daily else ds

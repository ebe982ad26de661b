"""Frame helpers shared by the demo generator and the derived columns: dates and nullable integers."""

from __future__ import annotations

import numpy as np
import pandas as pd

NAT = np.datetime64("NaT", "D")

def add_years(days: np.ndarray, years: int) -> np.ndarray:
    """The same calendar day ``years`` later (29 February -> 28 February); NaT stays NaT."""
    ok = ~np.isnat(days)
    out = np.full(len(days), NAT)
    if ok.any():
        stamp = pd.DatetimeIndex(days[ok])
        year, month, day = stamp.year + years, stamp.month, stamp.day
        leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
        mday = np.where((month == 2) & (day == 29) & ~leap, 28, day)
        frame = pd.DataFrame({"year": year, "month": month, "day": mday})
        out[ok] = pd.to_datetime(frame).to_numpy().astype("datetime64[D]")
    return out


def as_dates(days: np.ndarray) -> np.ndarray:
    """``datetime64[D]`` -> ``datetime64[s]`` (the frame dtype that loads as DATE)."""
    return np.asarray(days, dtype="datetime64[D]").astype("datetime64[s]")


def nullable_ints(values: np.ndarray, ok: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """An Int64 array with NA where ``ok`` is False."""
    out = pd.array(np.where(ok, values, 0).astype(np.int64), dtype="Int64")
    out[~np.asarray(ok, dtype=bool)] = pd.NA
    return out

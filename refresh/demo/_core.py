"""Shared machinery for the demo generator: the calendar, seeded generators, the child registry.

Dates are handled as numpy ``datetime64[D]`` arrays throughout (NaT = missing) so every step is
vectorised; frames are converted to ``datetime64[s]`` only when they are assembled (that dtype loads
into DuckDB and PostgreSQL DATE columns as dates).
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from model import workdays
from refresh.frames import add_years, as_dates, nullable_ints  # noqa: F401  (used by the generator modules)

NAT = np.datetime64("NaT", "D")
NONE = np.array(None, dtype=object)  # a missing code, for np.where
DAY = np.timedelta64(1, "D")
YEAR_DAYS = 365.25


def last_day_of_previous_month(today: dt.date | None = None) -> dt.date:
    """The default ``as_of``: the last day of the calendar month before ``today``."""
    today = today or dt.date.today()
    return today.replace(day=1) - dt.timedelta(days=1)


def census_year_start(day: dt.date) -> dt.date:
    """1 April on or before ``day`` (the start of its CIN census year)."""
    year = day.year if (day.month, day.day) >= (4, 1) else day.year - 1
    return dt.date(year, 4, 1)


@dataclass
class Calendar:
    """The generation window: simulated from ``burn_in``, kept from ``history_start`` to ``as_of``."""

    as_of: dt.date
    history_years: int = 6
    burn_in_years: int = 12

    @cached_property
    def history_start(self) -> dt.date:
        """1 April on or before the date ``history_years`` before ``as_of`` (6-7 years of history)."""
        return census_year_start(self.as_of.replace(year=self.as_of.year - self.history_years, day=1))

    @cached_property
    def end(self) -> np.datetime64:
        return np.datetime64(self.as_of, "D")

    @cached_property
    def start(self) -> np.datetime64:
        return np.datetime64(self.history_start, "D")

    @cached_property
    def burn(self) -> np.datetime64:
        return self.start - np.timedelta64(int(self.burn_in_years * YEAR_DAYS), "D")

    @cached_property
    def holidays(self) -> np.ndarray:
        years = range(self.as_of.year - 40, self.as_of.year + 3)
        known = (y for y in years if workdays.FIRST_YEAR <= y <= workdays.LAST_YEAR)
        days = [d for y in known for d in workdays.bank_holidays(y)]
        return np.array(days, dtype="datetime64[D]")

    def busday(self, days: np.ndarray) -> np.ndarray:
        """Roll each date forward to a working day (NaT stays NaT)."""
        return self.add_workdays(days, np.zeros(len(days), dtype=np.int64))

    def add_workdays(self, days: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """``days`` rolled forward to a working day, plus ``offsets`` working days (NaT stays NaT)."""
        out = np.full(len(days), NAT)
        ok = ~np.isnat(days)
        out[ok] = np.busday_offset(days[ok], offsets[ok], roll="forward", holidays=self.holidays)
        return out


def rng_for(seed: int, name: str) -> np.random.Generator:
    """An independent generator per step, so changing one step leaves the others' draws alone."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


GOLDEN = (5**0.5 - 1) / 2
# Other irrational steps, so that two spread draws over the same rows are not correlated.
STEPS = {"golden": GOLDEN, "root2": 2**0.5 - 1, "root3": 3**0.5 - 1, "root5": 5**0.5 - 2, "root7": 7**0.5 - 2}


def spread(rng: np.random.Generator, key: np.ndarray, step: str = "golden") -> np.ndarray:
    """Uniform [0, 1) values evenly spread along ``key`` order (a randomly shifted Weyl sequence).

    Used instead of independent uniforms where a published share must hold in every time window (e.g.
    the route of referrals in each census year): any run of consecutive values is close to uniform.
    """
    u = np.empty(len(key))
    u[np.argsort(key, kind="stable")] = (rng.random() + np.arange(len(key)) * STEPS[step]) % 1.0
    return u


def choose(rng: np.random.Generator, codes: Mapping[str, float], n: int, *,
           spread_by: np.ndarray | None = None, step: str = "golden") -> np.ndarray:
    """``n`` codes drawn with the given weights (code -> weight), evenly along ``spread_by`` if given."""
    keys, weights = list(codes), np.array(list(codes.values()), dtype=float)
    if spread_by is None:
        index = rng.choice(len(keys), size=n, p=weights / weights.sum())
    else:
        cut = np.cumsum(weights / weights.sum())
        index = np.minimum(np.searchsorted(cut, spread(rng, spread_by, step), side="right"), len(keys) - 1)
    return np.array(keys, dtype=object)[index]


def uniform_days(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A date drawn uniformly from [lo, hi] for each pair (hi < lo gives lo)."""
    span = np.maximum((hi - lo).astype(np.int64), 0)
    return lo + np.floor(rng.random(len(lo)) * (span + 1)).astype(np.int64)






def strings(values: np.ndarray) -> pd.Series:
    """An object array of codes (None = missing) as a pandas string column."""
    return pd.Series(values, dtype="str")


@dataclass
class Registry:
    """Every child the generator creates, by registry index (child ids are assigned at the end).

    ``birth`` is the birth date, or the expected one for a child born after ``as_of``.
    """

    birth: list[np.ndarray] = field(default_factory=list)
    male: list[np.ndarray] = field(default_factory=list)
    count: int = 0

    def add(self, birth: np.ndarray, male: np.ndarray) -> np.ndarray:
        """Register children; returns their registry indices."""
        index = np.arange(self.count, self.count + len(birth), dtype=np.int64)
        self.birth.append(np.asarray(birth, dtype="datetime64[D]"))
        self.male.append(np.asarray(male, dtype=bool))
        self.count += len(birth)
        return index

    def births(self) -> np.ndarray:
        return np.concatenate(self.birth) if self.birth else np.array([], dtype="datetime64[D]")

    def males(self) -> np.ndarray:
        return np.concatenate(self.male) if self.male else np.array([], dtype=bool)


def age_days(years: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(years) * YEAR_DAYS).astype(np.int64)


def piecewise_uniform(rng: np.random.Generator, bands: Sequence[tuple[float, float, float]], n: int, *,
                      spread_by: np.ndarray | None = None, step: str = "golden") -> np.ndarray:
    """Draws from a mixture of uniform bands (low, high, weight); bands evenly along ``spread_by``."""
    weights = {str(i): w for i, (_, _, w) in enumerate(bands)}
    which = choose(rng, weights, n, spread_by=spread_by, step=step).astype(np.int64)
    low = np.array([lo for lo, _, _ in bands])[which]
    high = np.array([hi for _, hi, _ in bands])[which]
    return low + rng.random(n) * (high - low)

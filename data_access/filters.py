"""Slicer values from the page, parsed and validated against the code lists.

Everything a callback receives is untrusted: unknown keys, unknown codes and wrong types raise
``InvalidFilter`` (a clear message naming the field) before any query is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from data_access import codes


class InvalidFilter(ValueError):
    """A filter value that is not in its code list; the message names the field and the value."""


PERIOD_MONTHS = (3, 6, 12, 24, 36, 60)


@dataclass(frozen=True)
class Filters:
    """One validated set of slicer values; ``None`` means "all"."""

    period_months: int = 12
    service: str | None = None
    team: str | None = None
    locality: str | None = None
    age_band: str | None = None
    sex: str | None = None

    @classmethod
    def parse(cls, raw: Mapping[str, object] | None, *, teams: Iterable[str] = ()) -> Filters:
        """Validate ``raw`` (from the page or URL); raises InvalidFilter naming the bad field."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise InvalidFilter("Filters must be a set of named values.")
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise InvalidFilter(f"Unknown filter field: {sorted(unknown)[0]!r}.")
        period = raw.get("period_months", 12)
        if isinstance(period, bool) or not isinstance(period, int) or period not in PERIOD_MONTHS:
            raise InvalidFilter(f"Filter 'period_months' must be one of {PERIOD_MONTHS}, not {period!r}.")
        return cls(
            period_months=period,
            service=_code(raw, "service", codes.SERVICE),
            team=_code(raw, "team", set(teams)),
            locality=_code(raw, "locality", codes.LOCALITY),
            age_band=_code(raw, "age_band", codes.AGE_BAND),
            sex=_code(raw, "sex", codes.SEX),
        )

    def to_dict(self) -> dict[str, object]:
        """Only the fields that differ from "all" (for URLs and cache keys)."""
        return {k: v for k, v in asdict(self).items() if v is not None and not (k == "period_months" and v == 12)}


def _code(raw: Mapping[str, object], field: str, allowed: Iterable[str]) -> str | None:
    value = raw.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in set(allowed):
        shown = repr(value)[:40]
        raise InvalidFilter(f"Filter {field!r} has an unknown value {shown}.")
    return value

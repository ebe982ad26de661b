"""Published England figures the KPIs are compared against (shared/reference/data-standards.md §5).

Public, already-rounded national statistics: no suppression applies. Each entry is (value, note);
the note names the year and source so the card can say what it is compared with. Rates per
10,000 use the ONS mid-year estimate aged 0-17, as DfE does.
"""

from __future__ import annotations

ENGLAND: dict[str, tuple[float, str]] = {
    "cin_rate": (330.3, "England 330.3 per 10,000 at 31 March 2025 (DfE CIN census)"),
    "referral_rate": (519.4, "England 519.4 referrals per 10,000 in 2024-25 (DfE C1, derived)"),
    "rereferral_rate": (22.6, "England 22.6% in 2024-25 (DfE C1)"),
    "nfa_rate": (6.5, "England 6.5% in 2024-25 (DfE C1)"),
    "assessments_45": (85.7, "England 85.7% in 2024-25 (DfE C2, derived)"),
    "icpc_15": (81.4, "England 81.4% in 2024-25 (DfE C4, derived)"),
    "cp_rate": (40.6, "England 40.6 per 10,000 at 31 March 2025 (DfE D5, derived)"),
    "cp_subsequent": (24.5, "England 24.5% of plans starting in 2024-25 (DfE D3)"),
    "ehc_growth": (10.8, "England +10.8% active EHC plans, January 2024 to January 2025 (SEN2)"),
    "ehc_6_weeks": (84.8, "England 84.8% of decisions within 6 weeks in 2024 (SEN2)"),
    "ehc_20_weeks": (46.4, "England 46.4% excluding exceptions in 2024 (SEN2)"),
    "ehc_20_weeks_all": (45.9, "England 45.9% including exceptions in 2024 (SEN2)"),
}
# Measures where a lower value is better (for the direction-of-travel wording); others are neutral
# (volumes) or higher-is-better (timeliness).
LOWER_IS_BETTER = frozenset({"rereferral_rate", "cp_subsequent", "nfa_rate"})
HIGHER_IS_BETTER = frozenset({"assessments_45", "icpc_15", "ehc_6_weeks", "ehc_20_weeks", "ehc_20_weeks_all"})


def england(key: str) -> float | None:
    entry = ENGLAND.get(key)
    return entry[0] if entry else None

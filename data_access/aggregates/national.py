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
    # Children looked after and care leavers (SSDA903; shared/reference/ssda903.md §3).
    "cla_rate": (67.0, "England 67 per 10,000 at 31 March 2025 (DfE, Children looked after in England)"),
    "cla_3_placements": (10.0, "England about 10% (one-year measure, historically 10-11%; NICE quality standard "
                               "for looked-after children)"),
    "cla_long_term": (69.0, "England 69% at 31 March 2025 (DfE placement stability)"),
    "cla_missing": (11.0, "England 11% of children looked after in the year (2017-18; Coram, from DfE figures)"),
    "cla_health_assessment": (90.0, "England 90% (DfE SFR 34/2015, the latest retrieved)"),
    "cla_teeth_check": (86.0, "England 86% (DfE SFR 34/2015, the latest retrieved)"),
    "cla_development": (88.0, "England 88% of 0-4s at 31 March 2025 (DfE OC2)"),
    "cl_in_touch_19_21": (91.0, "England 91% of care leavers aged 19-21 in 2020-21 (DfE)"),
    "cl_eet_19_21": (55.0, "England about 55%: nearly two in five aged 19-21 are NEET (Children's Commissioner; "
                           "DfE 2017: 40% NEET)"),
    "cl_suitable_19_21": (85.0, "England 85% of care leavers aged 19-21 in 2019 (DfE)"),
    "cl_suitable_17_18": (90.0, "England 90% of 18-year-old care leavers in 2019 (DfE)"),
}
# Measures where a lower value is better (for the direction-of-travel wording); others are neutral
# (volumes) or higher-is-better (timeliness).
LOWER_IS_BETTER = frozenset({"rereferral_rate", "cp_subsequent", "nfa_rate"})
HIGHER_IS_BETTER = frozenset({"assessments_45", "icpc_15", "ehc_6_weeks", "ehc_20_weeks", "ehc_20_weeks_all",
                              "cla_long_term", "cla_health_assessment", "cla_teeth_check", "cla_development",
                              "cl_in_touch_19_21", "cl_eet_19_21", "cl_suitable_19_21"})


def england(key: str) -> float | None:
    entry = ENGLAND.get(key)
    return entry[0] if entry else None

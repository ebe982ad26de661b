"""SSDA903 code lists (children looked after and care leavers), with labels and the years each code is valid.

Labels follow DfE's "Children looked after return: guide" (SSDA903) as summarised in
shared/reference/ssda903.md §1.1; year changes follow data-to-insight's csc-validator-be-903 rules
101, 131-133, 146, 149, 167, 175-178, 631 and the liia-tools 903 schema diffs. A *collection year*
is named by the year it ends: 2024 is the return for 1 April 2023 to 31 March 2024.
Re-exported by ``model.codes``.
"""

from __future__ import annotations

FIRST_YEAR, LAST_YEAR = 2017, 2026

# Header SEX: 1/2 up to 2023-24, M/F/U from 2024-25 (rule 101); stored as codes.SEX (M/F/U).
SEX_903_TO_SEX = {"1": "M", "2": "F", "M": "M", "F": "F", "U": "U"}

REASON_NEW_EPISODE = {
    "S": "Started to be looked after",
    "L": "Change of legal status only",
    "P": "Change of placement and carer(s) only",
    "T": "Change of placement only (same carer(s))",
    "U": "Change of legal status and placement and carer(s)",
    "B": "Change of legal status and placement (same carer(s))",
}
# RNE codes that start a new placement (DfE counts placements from these).
NEW_PLACEMENT_RNE = frozenset({"S", "P", "T", "U", "B"})

LEGAL_STATUS = {
    "C1": "Interim care order", "C2": "Full care order", "D1": "Freeing order granted",
    "E1": "Placement order granted", "V2": "Single period of accommodation under s20",
    "V3": "Accommodated under a series of short-term breaks (individual episodes recorded)",
    "V4": "Accommodated under a series of short-term breaks (agreements recorded)",
    "L1": "Under police protection and in LA accommodation", "L2": "Emergency protection order",
    "L3": "Under child assessment order and in LA accommodation",
    "J1": "Remanded to LA or youth detention accommodation", "J2": "Placed in LA accommodation under PACE",
    "J3": "Sentenced to a supervision order with residence requirement",
}
SHORT_BREAK_LS = frozenset({"V3", "V4"})

CATEGORY_OF_NEED = {
    "N1": "Abuse or neglect", "N2": "Child's disability", "N3": "Parental illness or disability",
    "N4": "Family in acute stress", "N5": "Family dysfunction", "N6": "Socially unacceptable behaviour",
    "N7": "Low income", "N8": "Absent parenting",
}

PLACEMENT_TYPE = {
    "A3": "Placed for adoption with consent, with current foster carer(s)",
    "A4": "Placed for adoption with consent, not with current foster carer(s)",
    "A5": "Placed for adoption with placement order, with current foster carer(s)",
    "A6": "Placed for adoption with placement order, not with current foster carer(s)",
    "H5": "Semi-independent living accommodation (not regulated)",
    "K1": "Secure children's home", "K2": "Children's home (Children's Homes Regulations)",
    "K3": "Supported accommodation",
    "P1": "Placed with own parent(s) or other person(s) with parental responsibility",
    "P2": "Independent living (flat, lodgings, bedsit, B&B or with friends)", "P3": "Residential employment",
    "R1": "Residential care home", "R2": "NHS / health trust or other medical or nursing care",
    "R3": "Family centre or mother and baby unit", "R5": "Young offender institution or prison",
    "S1": "Residential school (not dual-registered as a children's home)",
    "T0": "Temporary placement: any temporary move", "T1": "Temporary: period in hospital",
    "T2": "Temporary: child on holiday", "T3": "Temporary: foster carer(s) on holiday",
    "T4": "Temporary: seven days or less, any other reason",
    "U1": "Foster with relative(s) or friend(s): long-term",
    "U2": "Foster with relative(s) or friend(s): fostering for adoption / concurrent planning",
    "U3": "Foster with relative(s) or friend(s): other",
    "U4": "Foster with other foster carer(s): long-term",
    "U5": "Foster with other foster carer(s): fostering for adoption / concurrent planning",
    "U6": "Foster with other foster carer(s): other",
    "Z1": "Other placement", "Z11": "Other placement (Z11)", "Z12": "Other placement (Z12)",
    "Z13": "Other placement (Z13)", "Z14": "Other placement (Z14)",
}
# Codes valid only in some collection years (first, last); the rest are valid 2017-2026.
PLACEMENT_TYPE_YEARS = {"H5": (FIRST_YEAR, 2024), "P2": (FIRST_YEAR, 2024), "K3": (2025, LAST_YEAR),
                        "Z1": (FIRST_YEAR, 2025), **{f"Z1{i}": (2026, LAST_YEAR) for i in range(1, 5)}}
PLACEMENT_GROUP = {  # for dashboards: foster, residential, adoption, parents, independent, temporary, other
    **{c: "foster" for c in ("U1", "U2", "U3", "U4", "U5", "U6")},
    **{c: "adoption" for c in ("A3", "A4", "A5", "A6")},
    **{c: "residential" for c in ("K1", "K2", "R1", "S1", "R5")},
    **{c: "semi_independent" for c in ("H5", "K3", "P2")}, "P1": "parents",
    **{c: "temporary" for c in ("T0", "T1", "T2", "T3", "T4")},
    **{c: "other" for c in ("P3", "R2", "R3", "Z1", "Z11", "Z12", "Z13", "Z14")},
}
NO_PROVIDER_PLACEMENTS = frozenset({"T0", "T1", "T2", "T3", "T4", "Z1"})  # rule 178

PLACEMENT_PROVIDER = {
    "PR0": "Parent(s) or other person(s) with parental responsibility", "PR1": "Own LA provision",
    "PR2": "Other LA provision", "PR3": "Other public provision", "PR4": "Private provision",
    "PR5": "Voluntary / third sector provision",
}

REASON_EPISODE_CEASED = {
    "X1": "Episode ceases and a new one begins the same day",
    "E11": "Adopted: application unopposed", "E12": "Adopted: consent dispensed with by the court",
    "E2": "Died", "E3": "Care taken over by another LA in the UK",
    "E4A": "Returned home to parent(s) as part of the care plan",
    "E4B": "Returned home to parent(s), not as part of the care plan",
    "E13": "Left care to live with parent(s), relative(s) or other person(s) without parental responsibility",
    "E41": "Residence / child arrangements order granted",
    "E43": "Special guardianship order to former foster carer(s)",
    "E44": "Special guardianship order to carer(s) other than former foster carer(s)",
    "E45": "Special guardianship order to former foster carer(s) who are relatives or friends",
    "E46": "Special guardianship order to former foster carer(s), not relatives or friends",
    "E47": "Special guardianship order to other carer(s) who are relatives or friends",
    "E48": "Special guardianship order to other carer(s), not relatives or friends",
    "E5": "Moved to independent living with formal advice and support",
    "E6": "Moved to independent living without formal advice and support",
    "E7": "Transferred to residential care funded by adult social care", "E8": "Ceased for any other reason",
    "E9": "Sentenced to custody", "E14": "Accommodation on remand ended",
    "E15": "Age assessment found the child is 18 or over", "E16": "Child moved abroad",
    "E17": "Aged 18 or over and stayed with current carers (e.g. staying put)",
}
REASON_EPISODE_CEASED_YEARS = {"E43": (FIRST_YEAR, 2018), "E44": (FIRST_YEAR, 2018)}
ADOPTED_REC = frozenset({"E11", "E12"})
SGO_REC = frozenset({"E43", "E44", "E45", "E46", "E47", "E48"})

REASON_PLACE_CHANGE = {
    "CARPL": "Change to / implementation of care plan", "CLOSE": "Resignation or closure of provision",
    "ALLEG": "Allegation (s47)", "STAND": "Standards of care concern", "APPRR": "Approval removed",
    "CREQB": "Carer requests because of the child's behaviour", "CREQO": "Carer requests for other reasons",
    "CHILD": "Child requests", "LAREQ": "Responsible or area authority requests",
    "PLACE": "Change in the status of the placement only", "CUSTOD": "Custody arrangement", "OTHER": "Other",
}
REASON_PLACE_CHANGE_YEARS = {"CUSTOD": (2019, LAST_YEAR)}

REVIEW_PARTICIPATION = {
    "PN0": "Child aged under 4 at the review", "PN1": "Attends and speaks for themselves",
    "PN2": "Attends; an advocate speaks for them", "PN3": "Attends and conveys views non-verbally",
    "PN4": "Attends but does not convey views", "PN5": "Does not attend; briefs an advocate",
    "PN6": "Does not attend; conveys views by a facilitative medium",
    "PN7": "Does not attend and views not conveyed",
}

MISSING_TYPE = {"M": "Missing", "A": "Away from placement without authorisation"}

SDQ_REASON = {
    "SDQ1": "No form returned: child under 4 or over 17", "SDQ2": "Carer refused",
    "SDQ3": "Not possible because of severity of disability", "SDQ4": "Other",
    "SDQ5": "Young person refused",
}

IN_TOUCH = {
    "YES": "In touch", "NO": "Not in touch", "DIED": "Died", "REFU": "Young person refuses contact",
    "NREQ": "No longer requires services", "RHOM": "Returned home",
}
ACTIVITY = {
    "F1": "Full-time higher education", "P1": "Part-time higher education",
    "F2": "Full-time education other than higher education", "P2": "Part-time education other than higher",
    "F3": "Full-time training or employment", "P3": "Part-time training or employment",
    "F4": "Full-time apprenticeship", "P4": "Part-time apprenticeship",
    "F5": "Full-time training or employment (not apprenticeship)",
    "P5": "Part-time training or employment (not apprenticeship)",
    "G4": "Not in education, training or employment: illness or disability",
    "G5": "Not in education, training or employment: other reasons",
    "G6": "Not in education, training or employment: pregnancy or parenting", "0": "Information not known",
}
ACTIVITY_YEARS = {"F3": (FIRST_YEAR, 2021), "P3": (FIRST_YEAR, 2021), "F4": (2022, LAST_YEAR),
                  "P4": (2022, LAST_YEAR), "F5": (2022, LAST_YEAR), "P5": (2022, LAST_YEAR)}
EET_ACTIVITY = frozenset({"F1", "P1", "F2", "P2", "F3", "P3", "F4", "P4", "F5", "P5"})
_ACCOMMODATION_KIND = {
    "B": "With parents or relatives", "C": "Community home or other residential care",
    "D": "Semi-independent or transitional accommodation", "E": "Supported lodgings", "G": "Gone abroad",
    "H": "Deported", "K": "Ordinary lodgings without formal support", "R": "Residence not known",
    "S": "No fixed abode / homeless", "T": "Foyers and similar supported accommodation",
    "U": "Independent living", "V": "Emergency accommodation", "W": "Bed and breakfast", "X": "In custody",
    "Y": "Other accommodation", "Z": "With former foster carers",
}
ACCOMMODATION = {
    **{f"{k}{s}": f"{label}: {'suitable' if s == '1' else 'not suitable'}"
       for k, label in _ACCOMMODATION_KIND.items() for s in "12" if f"{k}{s}" not in ("S1", "X1")},
    "0": "Information not known",
}

YES_NO = {"0": "No", "1": "Yes"}
NUMBER_OF_ADOPTERS = {"1": "Single adopter", "2": "Two adopters"}
SEX_OF_ADOPTERS = {"M1": "Single male", "F1": "Single female", "MM": "Male couple", "FF": "Female couple",
                   "MF": "Mixed-sex couple"}
# As the DfE's validation rules read them (514, 517-520, 524; data-to-insight's csc-validator).
LEGAL_STATUS_OF_ADOPTERS = {"L0": "Single adopter", "L11": "Married couple (different sex)",
                            "L12": "Married couple (same sex)", "L2": "Civil partners",
                            "L3": "Unmarried couple (different sex)", "L4": "Unmarried couple (same sex)"}
REASON_PLACED_CEASED = {
    "RD1": "The child was placed for adoption", "RD2": "The child's needs changed after the decision",
    "RD3": "The court's decision changed", "RD4": "Any other reason",
}
PREVIOUS_PERMANENCE = {
    "P1": "Adoption", "P2": "Special guardianship order", "P3": "Residence / child arrangements order",
    "P4": "Unknown permanence option", "Z1": "No previous permanence option or not known",
}
UPN_UNKNOWN_903 = ("UN1", "UN2", "UN3", "UN4", "UN5")


def valid_in(codes: dict[str, str], years: dict[str, tuple[int, int]], year: int) -> frozenset[str]:
    """The codes of ``codes`` valid in collection ``year`` (``years`` limits some of them)."""
    return frozenset(c for c in codes if years.get(c, (FIRST_YEAR, LAST_YEAR))[0] <= year
                     <= years.get(c, (FIRST_YEAR, LAST_YEAR))[1])


# The involvement outcome (codes.INTERVENTION_OUTCOME) a period of care ending with this REC records.
LAC_OUTCOME = {"E11": "ACH", "E12": "ACH", "E41": "ACH", **{c: "ACH" for c in SGO_REC}, "E4A": "ACH",
               "E4B": "PART", "E13": "PART", "E5": "ACH", "E6": "PART", "E17": "ACH", "E7": "ESC", "E3": "MOVE",
               "E16": "MOVE", "E2": "PART", "E9": "PART", "E14": "PART", "E15": "PART", "E8": "PART"}

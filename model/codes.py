"""Official code lists (CIN census, SEN2) and the project's own lists for services and processing.

Labels follow the DfE XSD / SEN2 guidance as summarised in shared/reference/data-standards.md §1-2.
Filters arriving from the page are validated against these lists (see data_access.filters).
"""

from __future__ import annotations

from model.codes_903 import (  # noqa: F401  (re-exported: codes.LEGAL_STATUS and so on; years in codes_903)
    ACCOMMODATION,
    ACTIVITY,
    CATEGORY_OF_NEED,
    EET_ACTIVITY,
    IN_TOUCH,
    LEGAL_STATUS,
    LEGAL_STATUS_OF_ADOPTERS,
    MISSING_TYPE,
    NUMBER_OF_ADOPTERS,
    PLACEMENT_GROUP,
    PLACEMENT_PROVIDER,
    PLACEMENT_TYPE,
    PREVIOUS_PERMANENCE,
    REASON_EPISODE_CEASED,
    REASON_NEW_EPISODE,
    REASON_PLACE_CHANGE,
    REASON_PLACED_CEASED,
    REVIEW_PARTICIPATION,
    SDQ_REASON,
    SEX_OF_ADOPTERS,
)

SEX = {"M": "Male", "F": "Female", "U": "Unknown / unborn"}
# Pre-2024 CIN census GenderCurrent codes, mapped to Sex on load.
GENDER_CURRENT_TO_SEX = {"1": "M", "2": "F", "0": "U", "9": "U"}

ETHNICITY = {
    "WBRI": "White British", "WIRI": "White Irish", "WIRT": "Traveller of Irish heritage",
    "WOTH": "Any other White background", "WROM": "Gypsy/Roma",
    "MWBC": "White and Black Caribbean", "MWBA": "White and Black African", "MWAS": "White and Asian",
    "MOTH": "Any other mixed background", "AIND": "Indian", "APKN": "Pakistani", "ABAN": "Bangladeshi",
    "AOTH": "Any other Asian background", "BCRB": "Caribbean", "BAFR": "African",
    "BOTH": "Any other Black background", "CHNE": "Chinese", "OOTH": "Any other ethnic group",
    "REFU": "Refused", "NOBT": "Information not yet obtained",
}

# Religion is not collected by the CIN census; councils hold it locally (special category data).
RELIGION = {
    "NONE": "No religion", "CHR": "Christian", "MUS": "Muslim", "SIK": "Sikh", "HIN": "Hindu",
    "JEW": "Jewish", "BUD": "Buddhist", "OTH": "Other religion", "REFU": "Refused", "NOBT": "Not obtained",
}

DISABILITY = {
    "NONE": "No disability", "MOB": "Mobility", "HAND": "Hand function", "PC": "Personal care",
    "INC": "Incontinence", "COMM": "Communication", "LD": "Learning", "HEAR": "Hearing", "VIS": "Vision",
    "BEH": "Behaviour", "CON": "Consciousness", "AUT": "Autism", "DDA": "Other",
}

REFERRAL_SOURCE = {
    "1A": "Individual: family member, relative or carer", "1B": "Individual: acquaintance",
    "1C": "Individual: self", "1D": "Individual: other", "2A": "Schools", "2B": "Education services",
    "3A": "Health: GP", "3B": "Health: health visitor", "3C": "Health: school nurse",
    "3D": "Health: other primary health", "3E": "Health: A&E", "3F": "Health: other",
    "4": "Housing", "5A": "LA services: social care", "5B": "LA services: other internal",
    "5C": "LA services: external", "5D": "LA services: early help", "6": "Police",
    "7": "Other legal agency", "8": "Other", "9": "Anonymous", "10": "Unknown",
}

PRIMARY_NEED = {
    "N1": "Abuse or neglect", "N2": "Child's disability", "N3": "Parental disability or illness",
    "N4": "Family in acute stress", "N5": "Family dysfunction", "N6": "Socially unacceptable behaviour",
    "N7": "Low income", "N8": "Absent parenting", "N9": "Cases other than children in need",
    "N0": "Not stated",
}

REASON_FOR_CLOSURE = {
    "RC1": "Adopted", "RC2": "Died", "RC3": "Child arrangements order", "RC4": "Special guardianship order",
    "RC5": "Transferred to another LA", "RC6": "Transferred to adult social care",
    "RC7": "Services ceased for any other reason", "RC8": "Closed after assessment, no further action",
    "RC9": "Closed after assessment, referred to early help",
}

CATEGORY_OF_ABUSE = {
    "NEG": "Neglect", "PHY": "Physical abuse", "SAB": "Sexual abuse", "EMO": "Emotional abuse",
    "MUL": "Multiple / not recommended",
}

ASSESSMENT_FACTOR = {
    **{f"1{s}": "Alcohol misuse" for s in "ABC"}, **{f"2{s}": "Drug misuse" for s in "ABC"},
    **{f"3{s}": "Domestic abuse" for s in "ABC"}, **{f"4{s}": "Mental health" for s in "ABC"},
    **{f"5{s}": "Learning disability" for s in "ABC"},
    **{f"6{s}": "Physical disability or illness" for s in "ABC"},
    "7A": "Young carer", "8B": "Privately fostered: overseas return", "8C": "Privately fostered: overseas stay",
    "8D": "Privately fostered: UK educational", "8E": "Privately fostered: UK alternative family",
    "8F": "Privately fostered: other", "9A": "UASC", "10A": "Going/being missing",
    "11A": "Child sexual exploitation", "12A": "Trafficking", "13A": "Gangs",
    "14A": "Socially unacceptable behaviour", "15A": "Self-harm", "16A": "Neglect", "17A": "Emotional abuse",
    "18B": "Physical abuse: child on child", "18C": "Physical abuse: adult on child",
    "19B": "Sexual abuse: child on child", "19C": "Sexual abuse: adult on child", "20": "Other",
    "21": "No factors identified", "22A": "FGM", "23A": "Abuse linked to faith or belief",
    "24A": "Child criminal exploitation",
}

SEN_NEED = {
    "SPLD": "Specific learning difficulty", "MLD": "Moderate learning difficulty",
    "SLD": "Severe learning difficulty", "PMLD": "Profound and multiple learning difficulty",
    "SEMH": "Social, emotional and mental health", "SLCN": "Speech, language and communication needs",
    "HI": "Hearing impairment", "VI": "Vision impairment", "MSI": "Multi-sensory impairment",
    "PD": "Physical disability", "ASD": "Autistic spectrum disorder", "OTH": "Other",
}

EHC_REQUEST_OUTCOME = {"A": "Agreed to assess", "N": "Not agreed to assess", "W": "Withdrawn", "O": "Outstanding"}
EHC_ASSESSMENT_OUTCOME = {"Y": "Plan issued", "N": "Plan not issued", "O": "Outstanding"}

EHC_CEASE_REASON = {
    "1": "Reached maximum age", "2": "Needs met without a plan", "3": "Higher education",
    "4": "Paid employment", "5": "Transferred to another LA", "6": "No longer wishes to engage",
    "7": "Moved outside England", "8": "Deceased", "9": "Other",
}

# Published placement categories (DfE derives them from URN / GIAS type).
SEN_SETTING = {
    "MS": "Mainstream school", "SP": "Special school", "FE": "Further education",
    "EE": "Educated elsewhere", "AP": "Alternative provision / PRU", "EY": "Non-maintained early years",
    "NR": "Not recorded",
}

# Services and intervention types: there is no national standard for these (data-standards.md §7),
# so they follow the council's own service catalogue.
SERVICE = {
    "CSC": "Children's social care", "EH": "Early help", "EPS": "Educational psychology",
    "SEND": "SEND", "FS": "Family support", "SB": "Short breaks",
}

INTERVENTION_TYPE = {
    "CIN": ("CSC", "Child in need support"),
    "CP": ("CSC", "Child protection"),
    "EHA": ("EH", "Early help assessment and plan"),
    "PAR": ("EH", "Parenting programme"),
    "EPC": ("EPS", "EP consultation"),
    "EPA": ("EPS", "EP statutory assessment advice"),
    "VIG": ("EPS", "Video Interaction Guidance"),
    "EHC": ("SEND", "EHC needs assessment and plan"),
    "FSW": ("FS", "Family support worker"),
    "FGC": ("FS", "Family group conference"),
    "SBR": ("SB", "Short breaks: residential"),
    "SBC": ("SB", "Short breaks: community"),
    "LAC": ("CSC", "Looked after (a period of care, from the SSDA903 return)"),
}

INTERVENTION_OUTCOME = {
    "ACH": "Goals achieved", "PART": "Goals partly achieved", "ESC": "Stepped up to statutory service",
    "DOWN": "Stepped down", "DISE": "Family disengaged", "MOVE": "Moved away", "OPEN": "Ongoing",
}

# UK GDPR Article 6(1) lawful bases relevant to a local authority's Children's Services.
LAWFUL_BASIS = {
    "consent": "Art 6(1)(a) consent",
    "legal_obligation": "Art 6(1)(c) legal obligation",
    "vital_interests": "Art 6(1)(d) vital interests",
    "public_task": "Art 6(1)(e) public task",
}

# UK GDPR Article 9(2) conditions for special category data (with DPA 2018 Sch 1 where relevant).
ART9_CONDITION = {
    "explicit_consent": "Art 9(2)(a) explicit consent",
    "social_protection": "Art 9(2)(b) employment, social security and social protection law",
    "vital_interests": "Art 9(2)(c) vital interests",
    "substantial_public_interest": "Art 9(2)(g) substantial public interest (DPA 2018 Sch 1 para 18)",
    "health_social_care": "Art 9(2)(h) health or social care",
}

# Why emergency (break-glass) access to a child's record is needed: chosen from this list, and
# explained in words, on the child's page; shown on the information governance review list.
BREAK_GLASS_REASON = {
    "immediate_risk": "Immediate risk of significant harm",
    "out_of_hours": "Out-of-hours emergency",
    "missing_child": "Missing child",
    "other_urgent": "Other urgent safeguarding need",
}
# What the information governance review of a break-glass grant (or refused request) found.
BREAK_GLASS_REVIEW_OUTCOME = {
    "justified": "Justified",
    "not_justified": "Not justified: raised with the user's manager",
    "referred": "Referred for investigation",
}

LOCALITY = {
    "NORTH": "North", "SOUTH": "South", "EAST": "East", "WEST": "West", "CENTRAL": "Central",
}

AGE_BAND = {"unborn": "Unborn", "0-4": "Under 5", "5-9": "5 to 9", "10-15": "10 to 15", "16-17": "16 to 17",
            "18+": "18 and over"}


def label(codes: dict[str, str], code: str | None) -> str:
    """The label for a code, or the code itself when it is not in the list."""
    if code is None:
        return "Not recorded"
    return codes.get(code, code)

# The involvement outcome a closed CIN episode (closure reason RC1-RC9; RC7 and RC8 have none) or a
# ceased EHC plan (SEN2 cease reason 1-9) records, for the cross-service Interventions page.
CSC_OUTCOME = {"RC1": "ACH", "RC2": "PART", "RC3": "ACH", "RC4": "ACH", "RC5": "MOVE", "RC6": "ACH",
               "RC9": "DOWN"}  # RC7 and RC8: drawn
EHC_OUTCOME = {"1": "ACH", "2": "ACH", "3": "ACH", "4": "ACH", "5": "MOVE", "6": "DISE", "7": "MOVE",
               "8": "PART", "9": "PART"}

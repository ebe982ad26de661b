"""Rules on the child as a whole: identifiers, birth, sex, disabilities and death (DfE codes; Q = query)."""

from __future__ import annotations

from collections.abc import Iterator

from model import upn as upns
from refresh.ingest.cin_rules.base import Data, Period, Problem, episodes_of, ids_of, label, present, years_after

SCHOOL_AGE_REASONS = ("UN2", "UN3", "UN4", "UN5", "UN6", "UN7")  # UN1 is "not of school age"


def identifiers(child: Data, period: Period) -> Iterator[Problem]:
    """1570, 1580, 1510-1550 (UPN), 1560Q, 8772, 8770Q."""
    ids = ids_of(child)
    la_id = ids.get("LAchildID")
    if la_id:
        if len(la_id) > 20:
            yield "ChildIdentifiers/LAchildID", "1570", f"LAchildID '{la_id}' is longer than 20 characters"
        if not la_id.isalnum():
            yield ("ChildIdentifiers/LAchildID", "1580",
                   f"LAchildID '{la_id}' contains characters other than letters and digits")
    if ids.get("UPN"):
        for rule, message in upns.problems(ids["UPN"]):
            yield "ChildIdentifiers/UPN", rule, message
    if ids.get("FormerUPN") and upns.problems(ids["FormerUPN"]):
        yield "ChildIdentifiers/FormerUPN", "1560Q", f"Former UPN '{ids['FormerUPN']}' is not a valid UPN"
    episodes = episodes_of(child)
    if ids.get("UPNunknown") == "UN7" and not all(e.get("ReferralNFA") for e in episodes):
        yield ("ChildIdentifiers/UPNunknown", "8772",
               "UPN unknown reason UN7 (referral with no further action) is used but an episode is not NFA")
    born = ids.get("PersonBirthDate")
    further_action = any(e.get("ReferralNFA") is False for e in episodes)
    if (born and born <= period.school_age_born_by and further_action and not ids.get("UPN")
            and ids.get("UPNunknown") not in SCHOOL_AGE_REASONS):
        yield ("ChildIdentifiers/UPN", "8770Q",
               f"Child born {born} is of school age (4 or over on {period.end}) and has a referral going on to "
               "further action, but has no UPN and no reason UN2 to UN7 for it")


def birth_and_sex(child: Data, period: Period) -> Iterator[Problem]:
    """8520, 8525Q, 8530Q, 8750, 8775Q, 8535Q."""
    ids = ids_of(child)
    born, expected = ids.get("PersonBirthDate"), ids.get("ExpectedPersonBirthDate")
    if born and born > period.end:
        yield ("ChildIdentifiers/PersonBirthDate", "8520",
               f"Date of birth {born} is after the end of the census year ({period.end})")
    if (born is None) == (expected is None):
        yield ("ChildIdentifiers/PersonBirthDate", "8525Q",
               "Give either a date of birth or an expected date of birth (not both, not neither)")
    if expected and not period.expected_from <= expected <= period.expected_to:
        yield ("ChildIdentifiers/ExpectedPersonBirthDate", "8530Q",
               f"Expected date of birth {expected} is outside {period.expected_from} to {period.expected_to} "
               "(30 days before to 9 months after the reference date)")
    if expected and not born and ids.get("Sex") not in (None, "U"):
        yield ("ChildIdentifiers/Sex", "8750",
               f"An unborn child's sex must be recorded as U (unknown), not {ids.get('Sex')}")
    if born and born < period.born_25y:
        turns_25 = years_after(born, 25)
        for e in episodes_of(child):
            closed = e.get("CINclosureDate")
            if closed is None or closed > turns_25:
                yield ("ChildIdentifiers/PersonBirthDate", "8775Q",
                       f"Child is over 25 years old (born {born}) and {label(e)} is "
                       + ("still open" if closed is None else f"closed after the 25th birthday ({closed})"))
                break
    died = ids.get("PersonDeathDate")
    if died and born and died < born:
        yield "ChildIdentifiers/PersonDeathDate", "8535Q", f"Date of death {died} is before the date of birth {born}"


def disabilities(child: Data, period: Period) -> Iterator[Problem]:
    """8790, 8794, 8540 (missing; an invalid code is 8540 from the schema reader)."""
    characteristics = child.get("ChildCharacteristics", {})
    listed = characteristics.get("Disabilities", {}).get("Disability", [])
    if "NONE" in listed and len(listed) > 1:
        yield "ChildCharacteristics/Disabilities", "8790", "Disability NONE is recorded together with other codes"
    if len(set(listed)) < len(listed):
        yield "ChildCharacteristics/Disabilities", "8794", "The same disability code is recorded more than once"
    has_birth = bool(ids_of(child).get("PersonBirthDate"))
    all_nfa = all(e.get("ReferralNFA") for e in episodes_of(child))
    if not listed and has_birth and not all_nfa and not present(characteristics, "Disabilities"):
        yield ("ChildCharacteristics/Disabilities", "8540",
               "Disability is missing: record NONE or the child's disabilities (required unless every referral is NFA)")


def death(child: Data, period: Period) -> Iterator[Problem]:
    """8545Q, 8555Q, 8585Q, 4008, 4009Q, 8915, 8920."""
    died = ids_of(child).get("PersonDeathDate")
    if died and not period.contains(died):
        yield ("ChildIdentifiers/PersonDeathDate", "8545Q",
               f"Date of death {died} is outside the census year ({period.start} to {period.end})")
    for e in episodes_of(child):
        name = label(e)
        if not died:
            if e.get("ReasonForClosure") == "RC2":
                yield ("CINdetails/ReasonForClosure", "8585Q",
                       f"{name}: closed as RC2 (child died) but the child has no date of death")
            continue
        ref = e.get("CINreferralDate")
        if ref and ref > died:
            yield "CINdetails/CINreferralDate", "8555Q", f"{name}: referred after the child's death ({died})"
        for p in e.get("CINPlanDates", []):
            start, end = p.get("CINPlanStartDate"), p.get("CINPlanEndDate")
            if start and start > died:
                yield ("CINPlanDates/CINPlanStartDate", "4008",
                       f"{name}: CIN plan starts {start}, after the child's death ({died})")
            if end and end > died:
                yield ("CINPlanDates/CINPlanEndDate", "4009Q",
                       f"{name}: CIN plan ends {end}, after the child's death ({died})")
        for p in e.get("ChildProtectionPlans", []):
            start, end = p.get("CPPstartDate"), p.get("CPPendDate")
            if start and start > died:
                yield ("ChildProtectionPlans/CPPstartDate", "8915",
                       f"{name}: CP plan starts {start}, after the child's death ({died})")
            if end and end > died:
                yield ("ChildProtectionPlans/CPPendDate", "8920",
                       f"{name}: CP plan ends {end}, after the child's death ({died})")

"""The processing record on each involvement (UK GDPR Art 6 lawful basis, Art 9 condition, consent).

- CSC: legal obligation (Children Act 1989) mostly, public task for some; Art 9 social protection or
  substantial public interest.
- SEND: legal obligation (Children and Families Act 2014); health or social care / substantial public
  interest.
- EPS and short breaks: public task; health or social care / substantial public interest.
- Early help and family support: consent for most (with a purpose, a date given on or before the start,
  withdrawn for ~5%, some of those while still open), public task for the rest; explicit consent as the
  Art 9 condition for most consent rows, none recorded for ~20%.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from refresh.demo._core import NAT, NONE, Calendar, as_dates, choose, strings

BASIS = {
    "CSC": {"legal_obligation": 85, "public_task": 15}, "SEND": {"legal_obligation": 100},
    "EPS": {"public_task": 100}, "SB": {"public_task": 100},
    "EH": {"consent": 85, "public_task": 15}, "FS": {"consent": 75, "public_task": 25},
}
ART9 = {
    "CSC": {"social_protection": 70, "substantial_public_interest": 30},
    "SEND": {"health_social_care": 60, "substantial_public_interest": 40},
    "EPS": {"health_social_care": 70, "substantial_public_interest": 30},
    "SB": {"health_social_care": 80, "substantial_public_interest": 20},
    "EH": {"substantial_public_interest": 100}, "FS": {"substantial_public_interest": 100},
}
PURPOSE = {"EHA": "Early help support", "PAR": "Parenting programme", "FSW": "Family support",
           "FGC": "Family group conference"}


def processing_columns(rng: np.random.Generator, cal: Calendar, service: np.ndarray, itype: np.ndarray,
                       start: np.ndarray, end: np.ndarray) -> dict[str, object]:
    n = len(service)
    basis = np.empty(n, dtype=object)
    art9 = np.empty(n, dtype=object)
    for key in BASIS:
        sel = service == key
        basis[sel] = choose(rng, BASIS[key], int(sel.sum()))
        art9[sel] = choose(rng, ART9[key], int(sel.sum()))
    consent = basis == "consent"
    art9 = np.where(consent, np.where(rng.random(n) < 0.8, "explicit_consent", NONE), art9)
    purpose = np.where(consent, pd.Series(itype).map(PURPOSE).to_numpy(dtype=object), NONE)
    given = np.where(consent, start - rng.integers(0, 15, n), NAT)
    # Withdrawn: a day between consent and the end (or as_of), for ~5%; some while still open.
    stop = np.where(np.isnat(end), cal.end, end)
    withdrawn = consent & (rng.random(n) < 0.05) & (stop > given)
    span = np.maximum((stop - given).astype(np.int64), 1)
    day = given + 1 + np.floor(rng.random(n) * span).astype(np.int64)
    withdrawn_on = np.where(withdrawn, np.minimum(day, stop), NAT)
    return {"lawful_basis": strings(basis), "art9_condition": strings(art9),
            "consent_purpose": strings(purpose), "consent_given_date": as_dates(given),
            "consent_withdrawn_date": as_dates(withdrawn_on)}

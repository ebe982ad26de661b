"""The information governance officer's access log and chain verification (IG officers only).

``search`` and ``export_csv`` answer "who saw this child, when, for what purpose, under which basis"
and flag unusual patterns; ``verify_chain`` checks the trail as ``app.py verify-audit`` does. Each
call checks the role and is audited (see the modules).
"""

from __future__ import annotations

from data_access.access_log.criteria import ACTIONS, DEFAULT_DAYS, MAX_DAYS, Criteria
from data_access.access_log.patterns import FLAG_LABEL, PatternFlag
from data_access.access_log.search import EXPORT_ROWS, SHOWN_ROWS, AccessLog, Entry, export_csv, search
from data_access.access_log.verification import ChainCheck, verify_chain

__all__ = ["ACTIONS", "DEFAULT_DAYS", "MAX_DAYS", "Criteria", "FLAG_LABEL", "PatternFlag", "EXPORT_ROWS",
           "SHOWN_ROWS", "AccessLog", "Entry", "export_csv", "search", "ChainCheck", "verify_chain"]

"""Throttling of failed password sign-ins, per username and per client address (ASVS 6.3.1).

The counts come from outside (``app.py`` wires a function over the audit trail in the app store),
so every worker sees the same ones. Below ``limit`` failures in ``window`` a sign-in is tried as
usual; from then on each further attempt must wait ``base_delay * 2 ** (failures - limit)``
seconds after the last failure (capped at the window), and one that comes sooner is refused
without its password being checked. Refusing is cheaper than sleeping in a request thread.

Usernames that exist and usernames that do not are counted, throttled and answered alike, so
neither the status, the page nor the timing tells an attacker which usernames exist.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class FailureCounts(Protocol):
    """Failed password attempts in the window (any object with these attributes)."""

    @property
    def account(self) -> int: ...
    @property
    def account_last(self) -> dt.datetime | None: ...
    @property
    def client(self) -> int: ...
    @property
    def client_last(self) -> dt.datetime | None: ...


# count_failures(username=..., client=..., window_minutes=...) -> FailureCounts
CountFailures = Callable[..., FailureCounts]


@dataclass(frozen=True)
class ThrottlePolicy:
    account_limit: int = 5
    client_limit: int = 50
    window_minutes: int = 15
    base_delay_seconds: float = 30.0

    def delay(self, failures: int, limit: int) -> float:
        """Seconds to wait after the last failure, given ``failures`` so far (0 below the limit)."""
        if failures < limit:
            return 0.0
        return min(self.base_delay_seconds * 2 ** min(failures - limit, 30), self.window_minutes * 60.0)

    def retry_after(self, counts: FailureCounts, now: dt.datetime | None = None) -> int:
        """Whole seconds until the next attempt may be tried; 0 when it may be tried now."""
        now = now or dt.datetime.now(dt.UTC)
        wait = 0.0
        for failures, last, limit in ((counts.account, counts.account_last, self.account_limit),
                                      (counts.client, counts.client_last, self.client_limit)):
            if last is not None:
                wait = max(wait, (last - now).total_seconds() + self.delay(failures, limit))
        return math.ceil(wait) if wait > 0 else 0

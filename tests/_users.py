"""A user as data_access sees one (the policy's ``Principal``), for tests that call the door directly."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FakeUser:
    role: str
    user_id: int = 1
    username: str = "tester"
    team_ids: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    worker_id: str | None = None

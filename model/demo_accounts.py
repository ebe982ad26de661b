"""Which demo app account is which worker and team in the generated demo data (refresh.demo)."""

from __future__ import annotations

DEMO_USERS: dict[str, dict[str, object]] = {
    # A social worker in Safeguarding Team A with 18 open allocations at as_of, and some just ended.
    "demo-caseworker": {"worker_id": "W00002", "team_ids": ("CSC-SGA",), "services": ("CSC",)},
    # A colleague in the same team with a different caseload (16 open allocations).
    "demo-caseworker2": {"worker_id": "W00003", "team_ids": ("CSC-SGA",), "services": ("CSC",)},
    # The team's manager (job title "Team manager"); holds no cases.
    "demo-teammanager": {"worker_id": "W00001", "team_ids": ("CSC-SGA",), "services": ("CSC",)},
    # A service manager for children's social care: no team, no worker record.
    "demo-manager": {"worker_id": None, "team_ids": (), "services": ("CSC",)},
}

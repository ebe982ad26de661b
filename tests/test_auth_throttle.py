"""Throttling of failed sign-ins, per account and per client address, that reveals no usernames."""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, replace

import pytest

import data_access
from app import DEMO_PASSWORD
from appstore import audit
from appstore import sessions as store_sessions
from auth import login as auth_login
from auth.throttle import ThrottlePolicy


def _attempt(client, username: str, password: str, **headers: str):  # type: ignore[no-untyped-def]
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       headers=headers)


def _seen(response) -> tuple[int, str, bool]:  # type: ignore[no-untyped-def]
    """What an attacker sees: status, the page without its per-request CSRF token, Retry-After."""
    body = re.sub(r'name="csrf_token" value="[^"]+"', "", response.get_data(as_text=True))
    return response.status_code, body, "Retry-After" in response.headers


def test_twenty_wrong_passwords_are_throttled_alike_for_real_and_unknown_users(dash_app) -> None:  # type: ignore[no-untyped-def]
    seen: dict[str, list[tuple[int, str, bool]]] = {}
    for username in ("demo-manager", "no-such-user"):
        client = dash_app.server.test_client()
        seen[username] = [_seen(_attempt(client, username, f"wrong-password-{i:02d}")) for i in range(20)]
    real, unknown = seen["demo-manager"], seen["no-such-user"]
    assert real == unknown  # status, page and headers identical, attempt by attempt
    assert [status for status, _, _ in real] == [401] * 5 + [429] * 15
    assert auth_login.GENERIC_ERROR in real[0][1] and auth_login.THROTTLED_ERROR in real[-1][1]
    # The right password is refused too while the account is throttled: a guess cannot get through.
    right = _attempt(dash_app.server.test_client(), "demo-manager", DEMO_PASSWORD)
    assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0
    events = audit.query_events(data_access.current().app, action="login_failed", username="demo-manager")
    assert sorted({e["reason"] for e in events}) == ["password not accepted", "throttled"]
    assert sum(e["reason"] == "throttled" for e in events) == 16


def test_timing_does_not_tell_real_from_unknown_usernames(dash_app) -> None:  # type: ignore[no-untyped-def]
    client = dash_app.server.test_client()

    def median_seconds(username: str) -> float:
        times = []
        for i in range(3):
            start = time.perf_counter()
            _attempt(client, username, f"wrong-password-{i:02d}")
            times.append(time.perf_counter() - start)
        return sorted(times)[1]

    real, unknown = median_seconds("demo-leader"), median_seconds("nobody-at-all")
    assert 1 / 3 < real / unknown < 3  # both verify one argon2 hash (a dummy one for unknown users)


def test_the_wait_ends_and_a_success_resets_the_account(settings, make_app) -> None:  # type: ignore[no-untyped-def]
    application = make_app(replace(settings, login_account_limit=2, login_delay_seconds=1))
    client = application.server.test_client()
    assert [_attempt(client, "demo-leader", "wrong-password-xx").status_code for _ in range(3)] == [401, 401, 429]
    time.sleep(1.2)
    assert _attempt(client, "demo-leader", DEMO_PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": re.search(
        r'value="([^"]+)"', client.get("/logout").get_data(as_text=True)).group(1)})  # type: ignore[union-attr]
    # The success wiped the account's count: two more failures before throttling again.
    assert [_attempt(client, "demo-leader", "wrong-password-yy").status_code for _ in range(3)] == [401, 401, 429]


def test_one_client_guessing_many_usernames_is_throttled(settings, make_app) -> None:  # type: ignore[no-untyped-def]
    application = make_app(replace(settings, login_client_limit=3, login_account_limit=100))
    client = application.server.test_client()
    statuses = [_attempt(client, f"user-{i}", "wrong-password-xx").status_code for i in range(3)]
    assert statuses == [401, 401, 401]
    # A new username, and a forged X-Forwarded-For (no proxy is trusted by default), change nothing.
    assert _attempt(client, "user-99", "wrong-password-xx", **{"X-Forwarded-For": "203.0.113.9"}).status_code == 429
    assert _attempt(client, "demo-leader", DEMO_PASSWORD).status_code == 429
    other = application.server.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.44"  # another client address is not affected
    assert _attempt(other, "demo-leader", DEMO_PASSWORD).status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(settings, make_app) -> None:  # type: ignore[no-untyped-def]
    application = make_app(replace(settings, login_client_limit=2, login_account_limit=100,
                                                proxy_hops=1))
    client = application.server.test_client()
    for i in range(2):
        _attempt(client, f"user-{i}", "wrong-password-xx", **{"X-Forwarded-For": "198.51.100.7"})
    assert _attempt(client, "user-9", "wrong-password-xx", **{"X-Forwarded-For": "198.51.100.7"}).status_code == 429
    assert _attempt(client, "demo-leader", DEMO_PASSWORD, **{"X-Forwarded-For": "198.51.100.8"}).status_code == 302
    events = audit.query_events(data_access.current().app, action="login")
    assert events[0]["client"] == "198.51.100.8"


def test_sso_and_throttled_failures_do_not_count_towards_throttling(configured) -> None:  # type: ignore[no-untyped-def]
    for reason in ("throttled", "sso: no group", "password not accepted"):
        store_sessions.record_sign_in_event(data_access.current().trail, "login_failed", "failure", username="someone", user_id=None,
                                            client="10.0.0.1", reason=reason)
    counts = store_sessions.sign_in_failures(data_access.current().app, username="someone", client="10.0.0.1", window_minutes=15)
    assert (counts.account, counts.client) == (1, 1) and counts.account_last is not None


def test_the_recorded_reason_is_the_one_counted() -> None:
    assert auth_login.PASSWORD_NOT_ACCEPTED == store_sessions.PASSWORD_NOT_ACCEPTED
    assert auth_login.THROTTLED == store_sessions.THROTTLED


@dataclass(frozen=True)
class Counts:
    account: int
    account_last: dt.datetime | None
    client: int = 0
    client_last: dt.datetime | None = None


NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("failures", "seconds_ago", "wait"), [
    (4, 0, 0),  # below the limit: no wait
    (5, 0, 30), (5, 29, 1), (5, 30, 0),  # at the limit: the first delay
    (6, 0, 60), (7, 0, 120), (8, 10, 230),  # doubling with each further failure
    (30, 0, 900),  # never more than the window
])
def test_delays_double_with_each_failure(failures: int, seconds_ago: int, wait: int) -> None:
    policy = ThrottlePolicy(account_limit=5, window_minutes=15, base_delay_seconds=30)
    last = NOW - dt.timedelta(seconds=seconds_ago)
    assert policy.retry_after(Counts(failures, last), NOW) == wait


def test_the_longer_of_the_account_and_client_waits_applies() -> None:
    policy = ThrottlePolicy(account_limit=5, client_limit=10, base_delay_seconds=30)
    assert policy.retry_after(Counts(5, NOW, 12, NOW), NOW) == 120
    assert policy.retry_after(Counts(0, None, 9, NOW), NOW) == 0

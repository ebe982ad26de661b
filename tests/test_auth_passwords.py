"""Password rules (length, common passwords, no composition rules) and argon2id parameters."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, extract_parameters

from auth.passwords import (
    COMMON_PASSWORDS_FILE,
    MAX_LENGTH,
    MIN_LENGTH,
    common_passwords,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)

try:
    from _stores import Login  # type: ignore[import-not-found]
except ImportError:
    from ._stores import Login  # type: ignore[no-redef]


@pytest.mark.parametrize("password", [
    "correct horse battery staple",  # a passphrase: spaces fine
    "aaaaaaaaaaab",  # exactly 12, no composition rules (no digit, no capital, no symbol needed)
    "x" * 127 + "y",  # exactly 128
    "Ünïcödé passphrase ✓",  # any characters
    "insight-demo-password",
])
def test_acceptable_passwords(password: str) -> None:
    assert password_problem(password) is None
    assert verify_password(hash_password(password), password)


@pytest.mark.parametrize(("password", "why"), [
    ("short-pass1", "12 to 128"),  # 11 characters
    ("x" * 129, "12 to 128"),
    ("qwerty123456", "too common"),  # in the shipped list
    ("1q2w3e4r5t6y", "too common"),
    ("QWERTY123456", "too common"),  # case does not help
    ("password2024!", "too common"),  # a listed password with digits and a symbol added
    ("iloveyou1234", "too common"),
    ("abcabcabcabc", "repeated"),
    ("zzzzzzzzzzzzzz", "repeated"),
])
def test_refused_passwords(password: str, why: str) -> None:
    problem = password_problem(password)
    assert problem is not None and why in problem
    with pytest.raises(ValueError, match=why):
        hash_password(password)


def test_a_password_containing_the_username_is_refused() -> None:
    assert "username" in (password_problem("jsmith-my-long-secret", username="jsmith") or "")
    assert password_problem("jsmith-my-long-secret", username="someone") is None


def test_the_common_password_list_is_shipped_with_its_source_and_licence() -> None:
    text = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8")
    assert "Django" in text.split("#! begin")[0] and "BSD" in text.split("#! begin")[0]
    listed = common_passwords()
    assert len(listed) > 19_000  # ASVS 6.2.4 asks for at least the top 3,000
    assert {"123456", "password", "qwerty123456"} <= listed
    assert all(p == p.lower() for p in listed)


def test_argon2id_parameters_meet_asvs() -> None:
    parameters = extract_parameters(hash_password("a sufficiently long passphrase"))
    assert parameters.type.name == "ID"
    # ASVS 5.0 appendix C: m >= 19 MiB with t >= 2, or m >= 46 MiB with t >= 1 (p = 1)
    assert (parameters.memory_cost >= 19 * 1024 and parameters.time_cost >= 2) or \
        (parameters.memory_cost >= 46 * 1024 and parameters.time_cost >= 1)
    assert (MIN_LENGTH, MAX_LENGTH) == (12, 128)


def test_verification() -> None:
    stored = hash_password("a sufficiently long passphrase")
    assert verify_password(stored, "a sufficiently long passphrase")
    assert not verify_password(stored, "a sufficiently long passphrasE")
    assert not verify_password(None, "anything at all")  # no hash (SSO user, unknown user): never matches
    assert not verify_password("not-a-hash", "anything at all")
    assert not verify_password(stored, "x" * 100_000)  # long input is cut, not hashed in full


OLD_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)  # the parameters before


def test_a_hash_with_old_parameters_still_verifies_and_is_due_a_rehash() -> None:
    old = OLD_HASHER.hash("a sufficiently long passphrase")
    assert verify_password(old, "a sufficiently long passphrase")
    assert needs_rehash(old)
    assert not needs_rehash(hash_password("a sufficiently long passphrase"))
    assert not needs_rehash("not-a-hash")


def test_signing_in_remakes_an_old_hash_and_keeps_the_session(dash_app, client) -> None:  # type: ignore[no-untyped-def]
    """A user whose stored hash has the old parameters signs in: the stored hash is remade with
    today's (same password), their other sessions survive, and a wrong password changes nothing."""
    import data_access
    from appstore import users

    app_engine = data_access.current().app
    other = dash_app.server.test_client()
    assert Login(other).login("demo-manager").status_code == 302  # a session from before the rehash
    users.set_password_hash(app_engine, username="demo-manager",
                            password_hash=OLD_HASHER.hash("insight-demo-password"), revoke_sessions=False)

    assert Login(client).login("demo-manager", password="not the password at all").status_code == 401
    stale = users.find_login(app_engine, "demo-manager")
    assert stale is not None and stale[1] is not None and needs_rehash(stale[1]), "a refusal rehashed"

    assert Login(client).login("demo-manager").status_code == 302
    after = users.find_login(app_engine, "demo-manager")
    assert after is not None and after[1] is not None
    assert not needs_rehash(after[1]) and verify_password(after[1], "insight-demo-password")
    assert extract_parameters(after[1]).time_cost == 1
    assert other.get("/_dash-layout").status_code == 200, "the earlier session was ended by a rehash"


def test_a_rehash_never_overwrites_a_password_changed_since_it_was_verified(dash_app) -> None:  # type: ignore[no-untyped-def]
    import data_access
    from appstore import users

    app_engine = data_access.current().app
    verified = OLD_HASHER.hash("insight-demo-password")
    changed = hash_password("a new passphrase chosen meanwhile")
    users.set_password_hash(app_engine, username="demo-manager", password_hash=changed, revoke_sessions=False)
    data_access.accounts.store_rehash("demo-manager", verified, hash_password("insight-demo-password"))
    found = users.find_login(app_engine, "demo-manager")
    assert found is not None and found[1] == changed

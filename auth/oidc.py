"""Single sign-on with OpenID Connect (Authlib): authorisation code flow with PKCE (S256).

``/login/sso`` sends the browser to the provider with a fresh ``state``, ``nonce`` and PKCE
verifier (kept in the signed session cookie by Authlib). ``/login/sso/callback`` checks the state
(and the RFC 9207 ``iss`` parameter when sent), exchanges the code with the verifier and our client
secret, and validates the ID token: signature against the provider's JWKS, ``iss`` equal to the
configured issuer, ``aud`` containing our client id, ``exp``/``iat``, and ``nonce``. The groups claim
is mapped to a role, teams and services (``oidc_config.map_groups``); the app store's user is
created or updated to match at every sign-in, and a new server-side session starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, redirect, request, session, url_for
from joserfc.errors import JoseError
from requests import RequestException

from auth.config import AuthConfig
from auth.login import OnEvent, render_login, safe_next
from auth.oidc_config import OidcConfig, map_groups
from auth.sessions import SessionStore, start_session

SSO_ERROR = "Single sign-on did not complete, or your account has no access to this system."
_NEXT_KEY = "sso_next"

# provision(username=, display_name=, role=, team_ids=, services=) -> user record | None (refused)
Provision = Callable[..., Any]


def make_oidc_blueprint(server: Flask, config: AuthConfig, *, store: SessionStore, provision: Provision,
                        on_event: OnEvent) -> Blueprint:
    """Routes /login/sso and /login/sso/callback for ``config.oidc``."""
    oidc: OidcConfig = config.oidc  # type: ignore[assignment]  # registered only when SSO is configured
    oauth = OAuth(server)
    client = oauth.register(
        "csi_sso", client_id=oidc.client_id, client_secret=oidc.client_secret,
        server_metadata_url=oidc.metadata_url,
        client_kwargs={"scope": oidc.scopes, "code_challenge_method": "S256",
                       "token_endpoint_auth_method": "client_secret_basic", "timeout": 10},
    )
    bp = Blueprint("sso", __name__)

    def refuse(reason: str, username: str | None = None) -> Any:
        on_event("login_failed", "failure", username=username, user_id=None, reason=f"sso: {reason}"[:300],
                 method="sso")
        return render_login(config, error=SSO_ERROR, status=401)

    @bp.get("/login/sso")
    def sso_start() -> Any:
        try:
            metadata = client.load_server_metadata()
        except (RequestException, ValueError) as exc:
            return refuse(f"provider unreachable ({type(exc).__name__})")
        if metadata.get("issuer") != oidc.issuer:  # OpenID Connect Discovery 1.0 section 4.3
            return refuse("the provider's metadata names another issuer")
        if "S256" not in metadata.get("code_challenge_methods_supported", ["S256"]):
            return refuse("the provider does not support PKCE S256")
        next_path = safe_next(request.args.get("next"))
        response = client.authorize_redirect(url_for("sso.sso_callback", _external=True))
        session[_NEXT_KEY] = next_path
        return response

    @bp.get("/login/sso/callback")
    def sso_callback() -> Any:
        if request.args.get("iss") not in (None, oidc.issuer):  # RFC 9207 mix-up defence
            return refuse("authorisation response from another issuer")
        try:
            token = client.authorize_access_token(claims_options={
                "iss": {"essential": True, "value": oidc.issuer},
                "sub": {"essential": True},
                "aud": {"essential": True, "value": oidc.client_id},
                "exp": {"essential": True},
            })
        except (OAuthError, JoseError, RequestException, ValueError, KeyError) as exc:
            return refuse(f"{type(exc).__name__}: {getattr(exc, 'description', '') or exc}"[:200])
        claims = token.get("userinfo")
        if not claims:
            return refuse("no ID token in the token response")
        username = claims.get(oidc.username_claim)
        if not isinstance(username, str) or not username.strip():
            return refuse(f"no {oidc.username_claim} claim")
        username = username.strip().lower()
        grant = map_groups(claims.get(oidc.groups_claim), oidc.group_map)
        if grant is None:
            return refuse("no group that grants access, or groups granting different roles", username)
        try:
            record = provision(username=username, display_name=claims.get("name") or None, role=grant.role,
                               team_ids=grant.team_ids, services=grant.services)
        except ValueError as exc:
            return refuse(f"cannot provision: {exc}"[:200], username)
        if record is None:
            return refuse("account refused by the app store", username)
        next_path = safe_next(session.get(_NEXT_KEY))
        start_session(store, record)
        on_event("login", "success", username=record.username, user_id=record.user_id, method="sso")
        return redirect(next_path)

    return bp

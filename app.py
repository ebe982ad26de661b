"""Children's Services Insight: the app factory and command line. Wiring only.

    python app.py [serve] [--host H] [--port N]    serve the dashboards (default 127.0.0.1:8050)
    python app.py build-demo [--scale X] [--seed N] build the synthetic demo analytics store
    python app.py create-user USERNAME --role ROLE  create a local account (asks for the password)
    python app.py disable-user|enable-user USERNAME disable (ending its sessions) or re-enable an account
    python app.py set-role USERNAME --role ROLE [--team T] [--service S]   change role, teams, services
    python app.py end-sessions USERNAME             log an account out everywhere
    python app.py verify-audit                      check the audit trail's hash chain
    python app.py load cin FILE.xml [--allow-partial]  validate and load council data (also sen2, ...)
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import getpass
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html
from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

import appstore.sessions
import data_access
from appstore.audit import Outcome
from auth import (
    AuthConfig,
    OidcConfig,
    ThrottlePolicy,
    csrf_cookie_name,
    current_app_user,
    hash_password,
    init_auth,
    parse_group_map,
)
from dashboards._requests import install_callback_checks
from model.settings import Settings

HERE = Path(__file__).resolve().parent
DEMO_PASSWORD = "insight-demo-password"
STORES = "csi_stores"  # the key of the app's stores in Flask's ``app.extensions``


def create_app(settings: Settings | None = None) -> dash.Dash:
    """Build the Dash app on a Flask server, with every route behind login."""
    settings = settings or Settings.from_env()
    stores = data_access.open_stores(settings)
    with data_access.bound(stores):
        _check_store_layout(settings)
        if settings.demo:
            data_access.ensure_demo_accounts(password_hash=lambda: hash_password(DEMO_PASSWORD))

    server = Flask(__name__)
    server.extensions[STORES] = stores
    _bind_stores_to_requests(server)  # first: auth's own checks read the app store
    server.config.update(SECRET_KEY=settings.secret_key,
                         PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.session_max_hours))
    if settings.proxy_hops:  # trust X-Forwarded-For/-Proto/-Host from that many proxies, no more
        hops = settings.proxy_hops
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]  # Flask's documented middleware hook

    def on_auth_event(action: str, outcome: Outcome, *, username: str | None, user_id: int | None,
                      reason: str | None = None, method: str | None = None) -> None:
        appstore.sessions.record_sign_in_event(stores.app, action, outcome, username=username, user_id=user_id,
                                                  client=request.remote_addr, reason=reason, method=method)

    app: dash.Dash | None = None
    init_auth(server, _auth_config(settings, script_hashes=lambda: app.csp_hashes() if app else ()),
              find_login=data_access.find_login,
              sessions=appstore.sessions.SessionStore(stores.app, idle_minutes=settings.session_idle_minutes,
                                                         max_hours=settings.session_max_hours),
              count_failures=functools.partial(appstore.sessions.sign_in_failures, stores.app), on_event=on_auth_event,
              provision_sso_user=data_access.accounts.provision_sso_user)

    app = dash.Dash(
        __name__, server=server, use_pages=True, pages_folder=str(HERE / "dashboards"),  # type: ignore[arg-type]  # Dash annotates server as bool | Callable[[], Any]; a Flask app is documented
        assets_folder=str(HERE / "assets"),
        # Layouts are skeletons and callbacks are registered up front, so Dash need not build a
        # validation layout from every page (which it would ship to every visitor).
        suppress_callback_exceptions=True,
        title="Children's Services Insight", update_title=None,  # type: ignore[arg-type]  # Dash annotates str; None is documented
        csrf_token_name=csrf_cookie_name(settings.https),  # the cookie auth sets at sign-in
    )
    app.layout = _shell
    # On the app, not with @dash.callback at import: a global callback goes only to the first app
    # that serves a request in the process, so a second app (tests) would lack it.
    app.callback(Output("shell-user", "children"), Input("shell-url", "pathname"))(show_user)
    install_callback_checks(app)
    return app


def _bind_stores_to_requests(server: Flask) -> None:
    """Every request (callbacks included) reads this app's stores, whatever else the process serves."""
    @server.before_request
    def bind_stores() -> None:
        g.csi_stores_token = data_access.bind(server.extensions[STORES])

    @server.teardown_request
    def unbind_stores(_exc: BaseException | None) -> None:
        token = g.pop("csi_stores_token", None)
        if token is not None:
            data_access.unbind(token)


def stores_of(app: dash.Dash | Flask) -> data_access.Stores:
    """The stores an app built by ``create_app`` serves from."""
    server = app.server if isinstance(app, dash.Dash) else app
    stores: data_access.Stores = server.extensions[STORES]
    return stores


def wsgi() -> Flask:
    """The WSGI application for a production server: ``gunicorn -w 2 'app:wsgi()'``."""
    return create_app().server


def _auth_config(settings: Settings, *, script_hashes: Callable[[], Sequence[str]]) -> AuthConfig:
    """auth's options from the settings; raises ValueError for a bad single sign-on setup."""
    oidc = None
    if settings.oidc_issuer:
        if not (settings.oidc_client_id and settings.oidc_client_secret):
            raise ValueError("CSI_OIDC_ISSUER needs CSI_OIDC_CLIENT_ID and CSI_OIDC_CLIENT_SECRET")
        group_map = parse_group_map(settings.oidc_group_map)
        unknown = sorted({g.role for g in group_map.values()} - set(data_access.policy.ROLES))
        if unknown:
            raise ValueError(f"CSI_OIDC_GROUP_MAP names roles the policy does not know: {unknown}")
        oidc = OidcConfig(issuer=settings.oidc_issuer, client_id=settings.oidc_client_id,
                          client_secret=settings.oidc_client_secret, group_map=group_map,
                          scopes=settings.oidc_scopes, username_claim=settings.oidc_username_claim,
                          groups_claim=settings.oidc_groups_claim, label=settings.oidc_label)
    throttle = ThrottlePolicy(account_limit=settings.login_account_limit,
                              client_limit=settings.login_client_limit,
                              window_minutes=settings.login_window_minutes,
                              base_delay_seconds=settings.login_delay_seconds)
    return AuthConfig(https=settings.https, local_accounts=settings.local_accounts, throttle=throttle,
                      oidc=oidc, script_hashes=script_hashes)


def _shell() -> html.Div:
    """The page frame: navigation built from the page registry; no data (filled by callbacks)."""
    links = [dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact"))
             for page in dash.page_registry.values() if page.get("nav", True)]
    return html.Div([
        html.A("Skip to main content", href="#main", className="skip-link"),
        dcc.Location(id="shell-url"),
        dbc.Navbar(dbc.Container([
            dbc.NavbarBrand("Children's Services Insight", href="/"),
            dbc.Nav(links, navbar=True, className="me-auto"),
            html.Span(id="shell-user", className="csi-user me-3"),
            html.A("Sign out", href="/logout", className="nav-link csi-user"),
        ], fluid=True), className="csi-navbar", dark=True),
        html.Main(dash.page_container, id="main", className="csi-page", tabIndex="-1"),
    ])


def show_user(_pathname: str | None) -> str:
    from dashboards._session import header_text

    return header_text(current_app_user())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="app.py", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="with no command: serve on this address")
    parser.add_argument("--port", type=int, default=8050, help="with no command: serve on this port")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="serve the app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8050)
    build = sub.add_parser("build-demo", help="build the synthetic demo analytics store")
    build.add_argument("--scale", type=float, default=None)
    build.add_argument("--seed", type=int, default=None)
    build.add_argument("--if-missing", action="store_true", help="do nothing if a store already exists")
    user = sub.add_parser("create-user", help="create a local account")
    user.add_argument("username")
    user.add_argument("--role", required=True, choices=sorted(data_access.policy.ROLES))
    user.add_argument("--name", default=None)
    user.add_argument("--team", action="append", default=[])
    user.add_argument("--service", action="append", default=[])
    user.add_argument("--worker", default=None)
    user.add_argument("--sso", action="store_true", help="no password: the user signs in through single sign-on")
    _add_account_commands(sub)
    sub.add_parser("verify-audit", help="check the audit trail's hash chain")
    sub.add_parser("load", help="load council data: cin FILE.xml | sen2 DIR | interventions FILE | "
                                  "population FILE | refresh | status (see README)", add_help=False)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["load"]:  # everything after "load" belongs to the loader's own command line
        from refresh.ingest.__main__ import main as ingest_main

        return ingest_main(argv[1:])
    args = parser.parse_args(argv)
    settings = Settings.from_env()

    if args.command == "build-demo":
        return _build_demo(settings, args.scale, args.seed, args.if_missing)
    if args.command == "create-user":
        password_hash = None
        if not args.sso:  # hash_password raises ValueError naming the rule a weak password breaks
            password_hash = hash_password(getpass.getpass("Password (12-128 characters): "),
                                          username=args.username)
        with data_access.bound(data_access.open_stores(settings)):
            created = data_access.create_account(
                username=args.username, role=args.role, password_hash=password_hash,
                display_name=args.name, team_ids=tuple(args.team), services=tuple(args.service),
                worker_id=args.worker)
        print(f"Created {created.username} ({created.role}).")
        return 0
    if args.command in ACCOUNT_COMMANDS:
        with data_access.bound(data_access.open_stores(settings)):
            return _account_command(args)
    if args.command == "verify-audit":  # never creates an app store: a mistyped URL is an error (exit 2)
        from appstore import audit

        return audit.main(["verify", "--url", settings.app_db_url])
    port, host = args.port, args.host  # `app.py --port N` and `app.py serve --port N` both serve
    app = create_app(settings)
    print(f"Serving Children's Services Insight on http://{host}:{port}", file=sys.stderr)
    app.run(host=host, port=port, debug=False)
    return 0


ACCOUNT_COMMANDS = ("disable-user", "enable-user", "set-role", "end-sessions")


def _add_account_commands(sub: argparse._SubParsersAction) -> None:
    for name, text in (("disable-user", "disable an account and end its sessions"),
                       ("enable-user", "re-enable a disabled account"),
                       ("end-sessions", "end every session of an account (log out everywhere)")):
        sub.add_parser(name, help=text).add_argument("username")
    role = sub.add_parser("set-role", help="set an account's role (and teams/services when given)")
    role.add_argument("username")
    role.add_argument("--role", required=True, choices=sorted(data_access.policy.ROLES))
    role.add_argument("--team", action="append", default=None, help="replaces the teams (repeat for more)")
    role.add_argument("--service", action="append", default=None, help="replaces the services (repeat)")


def _account_command(args: argparse.Namespace) -> int:
    """disable-user, enable-user, set-role, end-sessions: audited as command-line changes."""
    accounts = data_access.accounts
    try:
        if args.command == "set-role":
            user = accounts.operator_set_role(args.username, args.role, args.team, args.service)
            print(f"{user.username}: {user.role}; teams {', '.join(user.team_ids) or '-'}; "
                  f"services {', '.join(user.services) or '-'}. Their sessions have ended.")
        elif args.command == "end-sessions":
            print(f"Ended {accounts.operator_end_sessions(args.username)} session(s) of {args.username}.")
        else:
            user = accounts.operator_set_active(args.username, args.command == "enable-user")
            print(f"{user.username} is now {'enabled' if user.active else 'disabled (sessions ended)'}.")
    except (LookupError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


def _check_store_layout(settings: Settings) -> None:
    """An analytics store built by an older version: the demo store is rebuilt; any other is refused."""
    problem = data_access.store_layout_problem()
    if problem is None:
        return
    if not settings.demo:
        raise RuntimeError(problem)
    print(f"{problem}\nRebuilding the demo store now.", file=sys.stderr)
    _build_demo(settings, None, None, False)
    data_access.reopen_analytics()


def _build_demo(settings: Settings, scale: float | None, seed: int | None, if_missing: bool) -> int:
    from refresh import demo

    path = settings.analytics_path
    if if_missing and path is not None and path.exists():
        print(f"Demo store already present at {path}; reusing it.", file=sys.stderr)
        return 0
    counts = demo.build(settings.analytics_url, seed=seed or settings.demo_seed,
                        scale=scale or settings.demo_scale, as_of=None, progress=True)
    print(f"Built demo store: {sum(counts.values()):,} rows in {len(counts)} tables.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

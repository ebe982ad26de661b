"""Children's Services Insight: the app factory and command line. Wiring only.

    python app.py serve [--host H] [--port N]      serve the dashboards (default 127.0.0.1:8050)
    python app.py build-demo [--scale X] [--seed N] build the synthetic demo analytics store
    python app.py create-user USERNAME --role ROLE  create a local account (asks for the password)
    python app.py verify-audit                      check the audit trail's hash chain
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html
from flask import Flask, request

import data_access
from auth import current_app_user, hash_password, init_auth
from data_access.settings import Settings

HERE = Path(__file__).resolve().parent
DEMO_PASSWORD = "insight-demo-password"


def create_app(settings: Settings | None = None) -> dash.Dash:
    """Build the Dash app on a Flask server, with every route behind login."""
    settings = settings or Settings.from_env()
    data_access.configure(settings)
    if settings.demo:
        data_access.ensure_demo_accounts(password_hash=lambda: hash_password(DEMO_PASSWORD))

    server = Flask(__name__)
    server.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
        SESSION_COOKIE_NAME="__Host-csi_session" if settings.https else "csi_session",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.session_max_hours),
        REMEMBER_COOKIE_DURATION=dt.timedelta(seconds=0),
    )

    def on_auth_event(action: str, outcome: str, *, username: str | None, user_id: int | None) -> None:
        data_access.record_auth_event(action, outcome, username=username, user_id=user_id,
                                      client=request.remote_addr)

    init_auth(server, find_user=data_access.find_user, find_login=data_access.find_login,
              on_event=on_auth_event)

    app = dash.Dash(
        __name__, server=server, use_pages=True, pages_folder=str(HERE / "dashboards"),
        assets_folder=str(HERE / "assets"),
        # Layouts are skeletons and callbacks are registered up front, so Dash need not build a
        # validation layout from every page (which it would ship to every visitor).
        suppress_callback_exceptions=True,
        title="Children's Services Insight", update_title=None,
    )
    app.layout = _shell
    return app


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


@callback(Output("shell-user", "children"), Input("shell-url", "pathname"))
def show_user(_pathname: str | None) -> str:
    user = current_app_user()
    if user is None:
        return ""
    banner = data_access.user_banner(user=user)
    return f"{banner['name']} ({banner['role']})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="app.py", description=__doc__.splitlines()[0])
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
    sub.add_parser("verify-audit", help="check the audit trail's hash chain")
    args = parser.parse_args(argv)
    settings = Settings.from_env()

    if args.command == "build-demo":
        return _build_demo(settings, args.scale, args.seed, args.if_missing)
    if args.command == "create-user":
        password = getpass.getpass("Password (12-128 characters): ")
        data_access.configure(settings)
        created = data_access.create_account(
            username=args.username, role=args.role, password_hash=hash_password(password),
            display_name=args.name, team_ids=tuple(args.team), services=tuple(args.service),
            worker_id=args.worker)
        print(f"Created {created.username} ({created.role}).")
        return 0
    if args.command == "verify-audit":
        data_access.configure(settings)
        result = data_access.verify_audit_trail()
        print(result.message)
        return 0 if result.ok else 1
    port = getattr(args, "port", 8050)
    host = getattr(args, "host", "127.0.0.1")
    app = create_app(settings)
    print(f"Serving Children's Services Insight on http://{host}:{port}", file=sys.stderr)
    app.run(host=host, port=port, debug=False)
    return 0


def _build_demo(settings: Settings, scale: float | None, seed: int | None, if_missing: bool) -> int:
    from data_access import demo

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

"""The command line of Children's Services Insight: serving, accounts, the audit check, data loads.

Run as ``python app.py COMMAND`` (README) or ``python cli.py COMMAND``:

    python app.py [serve] [--host H] [--port N] [--workers N] [--dev] [--dry-run]
                                                    serve the dashboards (default 127.0.0.1:8050) with
                                                    gunicorn; --dev: Flask's development server instead
    python app.py build-demo [--scale X] [--seed N] build the synthetic demo analytics store
    python app.py create-user USERNAME --role ROLE  create a local account (prints a one-time set-password link)
    python app.py disable-user|enable-user USERNAME disable (ending its sessions) or re-enable an account
    python app.py set-role USERNAME --role ROLE [--team T] [--service S]   change role, teams, services
    python app.py end-sessions USERNAME             log an account out everywhere
    python app.py verify-audit                      check the audit trail's hash chain and signed checkpoints
    python app.py migrate                           migrate the app store (as its owner, when the app has its own role)
    python app.py grant-app-role ROLE [--execute]   the PostgreSQL rights of the app's role (audit append-only)
    python app.py load cin FILE.xml [--allow-partial]  validate and load council data (also sen2, 903, ...)
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import runpy
import shlex
import sys
from pathlib import Path

import data_access
from app import HERE, build_demo_store, create_app, prepare_stores, startup_lock
from model.settings import Settings

GUNICORN_CONF = HERE / "gunicorn.conf.py"
ACCOUNT_COMMANDS = ("disable-user", "enable-user", "set-role", "end-sessions")


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status. ``serve`` without ``--dev`` replaces this process
    with gunicorn (``os.execv``) and so returns only on ``--dry-run``."""
    parser = argparse.ArgumentParser(prog="app.py", description=__doc__.splitlines()[0])
    _add_serve_options(parser, "with no command: ")
    sub = parser.add_subparsers(dest="command")
    _add_serve_options(sub.add_parser("serve", help="serve the app (gunicorn; --dev: Flask's development server)"))
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
    user.add_argument("--base-url", default="", help="the server's address, put before the printed set-password link")
    _add_account_commands(sub)
    sub.add_parser("verify-audit", help="check the audit trail's hash chain and signed checkpoints")
    sub.add_parser("migrate", help="bring the app store to the latest schema (run as its owner)")
    grant = sub.add_parser("grant-app-role", help="print (or --execute as the owner) the app role's PostgreSQL "
                                                  "grants: INSERT and SELECT only on the audit trail")
    grant.add_argument("role")
    grant.add_argument("--execute", action="store_true", help="run them on CSI_APP_DB_URL (connected as the owner)")
    published = sub.add_parser("published", help="update the shipped benchmarking figures from DfE's files "
                                                  "(statistical neighbours workbook, LAIT long data)")
    published.add_argument("--neighbours", type=Path, required=True, help="DfE's sn_*.xlsx")
    published.add_argument("--figures", type=Path, required=True, help="LAIT's bds_long*.parquet or .csv")
    published.add_argument("--out", type=Path, default=None, help="folder to write (default model/published)")
    sub.add_parser("load", help="load council data: cin FILE.xml | sen2 DIR | 903 DIR | interventions FILE | "
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
        with data_access.bound(data_access.open_stores(settings)):
            created = data_access.create_account(
                username=args.username, role=args.role, local_password=not args.sso,
                display_name=args.name, team_ids=tuple(args.team), services=tuple(args.service),
                worker_id=args.worker)
        assert created.user is not None  # the command line applies at once
        print(f"Created {created.user.username} ({created.user.role}).")
        if created.link is not None:
            print(f"Give the user this one-time link to set their password (valid until {created.link.expires_at}; "
                  f"it is not shown again):\n{args.base_url.rstrip('/')}{created.link.path}")
        return 0
    if args.command in ACCOUNT_COMMANDS:
        with data_access.bound(data_access.open_stores(settings)):
            return _account_command(args)
    if args.command == "verify-audit":  # never creates an app store: a mistyped URL is an error (exit 2)
        from appstore import audit

        return audit.main(["verify", "--url", settings.app_db_url, "--checkpoints", str(settings.audit_checkpoints),
                           "--checkpoint"], key=settings.audit_key)
    if args.command == "migrate":
        from appstore import tables

        tables.migrate(settings.app_db_url)
        print("The app store is at the latest schema.")
        return 0
    if args.command == "published":
        from refresh import published as pub

        try:
            counts = pub.convert(args.neighbours, args.figures, *([args.out] if args.out else []))
        except pub.PublishedFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"Wrote {counts['councils']} councils' neighbours and {counts['figure_rows']} published figures.")
        return 0
    if args.command == "grant-app-role":
        return _grant_app_role(settings, args.role, args.execute)
    # `app.py --port N` and `app.py serve --port N` both serve
    return serve(settings, host=args.host, port=args.port, workers=args.workers, dev=args.dev, dry_run=args.dry_run)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _add_serve_options(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    parser.add_argument("--host", default="127.0.0.1", help=f"{prefix}serve on this address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8050, help=f"{prefix}serve on this port (default 8050)")
    parser.add_argument("--workers", type=_positive, default=None,
                        help=f"{prefix}gunicorn worker processes (default: one per CPU, 2 to 8; gunicorn.conf.py)")
    parser.add_argument("--dev", action="store_true",
                        help=f"{prefix}Flask's development server (one process; never for production)")
    parser.add_argument("--dry-run", action="store_true", help=f"{prefix}print how it would serve, and exit")


def default_workers() -> int:
    """The worker count gunicorn.conf.py chooses from this machine's CPUs (reads the file; no side effects)."""
    conf = runpy.run_path(str(GUNICORN_CONF))
    return int(conf["default_workers"]())


def gunicorn_command(host: str, port: int, workers: int) -> list[str]:
    """The command that serves the app with gunicorn, with this interpreter, from the project directory."""
    return [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF), "--chdir", str(HERE),
            "--bind", f"{host}:{port}", "--workers", str(workers), "app:wsgi()"]


def serve(settings: Settings, *, host: str, port: int, workers: int | None = None, dev: bool = False,
          dry_run: bool = False) -> int:
    """Serve the app on ``host:port``: gunicorn with ``workers`` processes, or with ``dev`` Flask's
    development server in this process (returns when it stops).

    Side effects (unless ``dry_run``, which only prints the plan): the stores are prepared once here
    (``app.prepare_stores``: migrations, an outdated demo store rebuilt, demo accounts), so gunicorn's
    workers find them ready rather than doing slow work inside gunicorn's boot timeout; then this
    process becomes gunicorn (``os.execv``, same pid), which does not return.
    """
    if dev:
        if dry_run:
            print(f"Flask development server (app.run) on http://{host}:{port}")
            return 0
        app = create_app(settings)
        print(f"Serving Children's Services Insight on http://{host}:{port} "
              "with Flask's development server (--dev)", file=sys.stderr)
        app.run(host=host, port=port, debug=False)
        return 0
    workers = workers or default_workers()
    command = gunicorn_command(host, port, workers)
    if dry_run:
        print(shlex.join(command))
        return 0
    if importlib.util.find_spec("gunicorn") is None:
        print("gunicorn is not installed: run ./serve (or pip install -e .), or serve with --dev",
              file=sys.stderr)
        return 2
    prepare_stores(settings).close()
    print(f"Serving Children's Services Insight on http://{host}:{port} with gunicorn ({workers} workers)",
          file=sys.stderr)
    _exec(command)
    return 0


def _exec(command: list[str]) -> None:
    """Replace this process with ``command`` (the pid, environment and open terminal stay)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)


def _build_demo(settings: Settings, scale: float | None, seed: int | None, if_missing: bool) -> int:
    """build-demo, under the start-up lock so a server starting on the same data directory waits."""
    path = settings.analytics_path
    with startup_lock(settings.data_dir):
        if if_missing and path is not None and path.exists():
            print(f"Demo store already present at {path}; reusing it.", file=sys.stderr)
            return 0
        build_demo_store(settings, scale, seed)
    return 0


def _grant_app_role(settings: Settings, role: str, execute: bool) -> int:
    """Print the app role's grants; with ``execute``, run them on the app store (PostgreSQL only)."""
    from appstore import dbroles, tables

    try:
        if not execute:
            print(";\n".join(dbroles.app_role_sql(role)) + ";")
            return 0
        engine = tables.app_engine(settings.app_db_url)
        try:
            statements = dbroles.grant_app_role(engine, role)
        finally:
            engine.dispose()
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(";\n".join(statements) + ";")
    print(f"Granted. Serve with CSI_APP_DB_URL connecting as {role}; migrate as the owner.", file=sys.stderr)
    return 0


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


if __name__ == "__main__":
    sys.exit(main())

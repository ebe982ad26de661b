"""Children's Services Insight: the app factory and the WSGI entry point. Wiring only.

``create_app(settings)`` builds the Dash app; ``wsgi()`` is what a WSGI server calls in each worker
(``gunicorn 'app:wsgi()'``). The command line lives in ``cli.py``; ``python app.py COMMAND`` runs it
(``python app.py --help``, and README's "Two commands").
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import fcntl
import functools
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import dash
from dash import ClientsideFunction, Input, Output, State
from flask import Flask, Response, g, redirect, request
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
from dashboards import _plotlyjs as plotlyjs
from dashboards import _router
from dashboards import _shell as shell
from dashboards import _swcache as swcache
from dashboards._requests import install_callback_checks
from model.settings import Settings

HERE: Path = Path(__file__).resolve().parent
DEMO_PASSWORD = "insight-demo-password"
STORES = "csi_stores"  # the key of the app's stores in Flask's ``app.extensions``
STARTUP_LOCK = ".startup.lock"  # in the data directory: serialises start-up across processes


def create_app(settings: Settings | None = None) -> dash.Dash:
    """Build the Dash app on a Flask server, with every route behind login.

    Side effects: those of ``prepare_stores`` (the app store migrated; in demo mode an outdated demo
    store rebuilt and the demo accounts created), serialised with any other process starting on the
    same data directory.
    """
    settings = settings or Settings.from_env()
    stores = prepare_stores(settings)

    server = Flask(__name__)
    server.extensions[STORES] = stores
    _bind_stores_to_requests(server)  # first: auth's own checks read the app store
    _audit_failed_requests(server)
    server.config.update(SECRET_KEY=settings.secret_key,
                         PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.session_max_hours))
    if settings.proxy_hops:  # trust X-Forwarded-For/-Proto/-Host from that many proxies, no more
        hops = settings.proxy_hops
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]  # Flask's documented middleware hook

    def on_auth_event(action: str, outcome: Outcome, *, username: str | None, user_id: int | None,
                      reason: str | None = None, method: str | None = None) -> None:
        appstore.sessions.record_sign_in_event(stores.trail, action, outcome, username=username, user_id=user_id,
                                                  client=request.remote_addr, reason=reason, method=method)
        if outcome == "refused":
            g.csi_refusal_audited = True  # the guard's refusal: not audited again as a failed request

    app: dash.Dash | None = None
    init_auth(server, _auth_config(settings, script_hashes=lambda: app.csp_hashes() if app else ()),
              find_login=data_access.find_login,
              sessions=appstore.sessions.SessionStore(stores.app, idle_minutes=settings.session_idle_minutes,
                                                         max_hours=settings.session_max_hours),
              count_failures=functools.partial(appstore.sessions.sign_in_failures, stores.app), on_event=on_auth_event,
              provision_sso_user=data_access.accounts.provision_sso_user,
              set_password=(data_access.setpassword.check_link, data_access.setpassword.use_link),
              store_rehash=data_access.accounts.store_rehash)

    app = dash.Dash(
        __name__, server=server, use_pages=True, pages_folder=str(HERE / "dashboards"),  # type: ignore[arg-type]  # Dash annotates server as bool | Callable[[], Any]; a Flask app is documented
        assets_folder=str(HERE / "assets"), assets_ignore=plotlyjs.ASSETS_IGNORE,
        # Layouts are skeletons and callbacks are registered up front, so Dash need not build a
        # validation layout from every page (which it would ship to every visitor).
        suppress_callback_exceptions=True,
        title="Children's Services Insight", update_title=None,  # type: ignore[arg-type]  # Dash annotates str; None is documented
        csrf_token_name=csrf_cookie_name(settings.https),  # the cookie auth sets at sign-in
        routing_callback_inputs=_router.ROUTING_INPUTS,  # the page served with the layout is not routed again
    )
    _router.route_pages()
    swcache.install(app, plotly_version=plotlyjs.use_partial_bundle(app, HERE / "assets"))
    app.layout = shell.layout
    # On the app, not with @dash.callback at import: a global callback goes only to the first app
    # that serves a request in the process, so a second app (tests) would lack it.
    app.callback(output={"user": Output("shell-user", "children"), "nav": Output("shell-nav", "children")},
                 inputs={"pathname": Input("shell-url", "pathname")})(shell.for_user)
    app.clientside_callback(ClientsideFunction("csi", "toggleNav"), Output("shell-collapse", "is_open"),
                            Input("shell-toggler", "n_clicks"), State("shell-collapse", "is_open"))
    _land_by_role(server)
    _open_shared_views(server)
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


def _audit_failed_requests(server: Flask) -> None:
    """The one place every refused or failed request of a signed-in user is audited.

    Any 4xx or 5xx answer (a malformed callback body, a 404, a 500 from a crash, ...) becomes a
    REQUEST_FAILED event, unless the request's refusal was already audited: by data_access (it
    counts its refusals on the request's binding) or by auth's guard (``g.csi_refusal_audited``).
    Flask runs ``after_request`` for error responses too, 500s included (outside testing mode).
    """
    @server.after_request
    def audit_failure(response: Response) -> Response:
        if response.status_code >= 400 and not g.get("csi_refusal_audited"):
            data_access.record_failed_request(user=current_app_user(), method=request.method, path=request.path,
                                              status=response.status_code, client=request.remote_addr)
        return response


def stores_of(app: dash.Dash | Flask) -> data_access.Stores:
    """The stores an app built by ``create_app`` serves from."""
    server = app.server if isinstance(app, dash.Dash) else app
    stores: data_access.Stores = server.extensions[STORES]
    return stores


def wsgi() -> Flask:
    """The WSGI application, built from the environment's settings: ``gunicorn 'app:wsgi()'``.

    Called once in each server worker (never preloaded: DuckDB connections must not cross a fork).
    A worker that exits normally signs a last audit checkpoint.
    """
    app = create_app()
    server = app.server
    # Dash sets up on its first request (before_request), marking itself set up before it has listed
    # the component scripts it serves; a worker's threads answering a new browser's first burst of
    # script requests then refused some ("not a registered library") and the page never drew. So a
    # worker sets Dash up before it serves anything. Here, not in create_app: the setup takes the
    # process's @callback registrations, which belong to the one app a worker serves.
    with server.test_request_context("/"):
        app._setup_server()  # noqa: SLF001  (Dash's own first-request hook, run once, early)
    atexit.register(_final_checkpoint, server.extensions[STORES])
    return server


def _final_checkpoint(stores: data_access.Stores) -> None:
    with contextlib.suppress(Exception):  # at exit: the store may already be gone; never block exiting
        stores.trail.checkpoint()


@contextlib.contextmanager
def startup_lock(data_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``data_dir/.startup.lock`` (``fcntl.flock``) until the block ends.

    Serialises start-up work (migrations, the demo store, demo accounts) between processes sharing a
    data directory, e.g. server workers booting together: the second waits, then finds the work done.
    The lock dies with its process, so a crashed start-up never leaves it held. Not re-entrant: a
    process holding it must not take it again. Side effect: creates the (empty) lock file. Where the
    file cannot be created (a read-only data directory) the block runs unlocked, with a warning:
    every step it guards is also safe to repeat and to race.
    """
    try:
        handle = open(data_dir / STARTUP_LOCK, "a")  # "a": creates, never truncates; closed below
    except OSError as exc:
        print(f"warning: start-up runs without its lock ({exc})", file=sys.stderr)
        handle = None
    if handle is None:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare_stores(settings: Settings) -> data_access.Stores:
    """Open ``settings``' stores ready to serve, under ``startup_lock``; idempotent.

    Side effects: migrates the app store; in demo mode rebuilds a demo store built by an older
    version and creates any missing demo account. Raises RuntimeError for an outdated store that is
    not the demo's. The caller owns the returned stores (``Stores.close``).
    """
    with startup_lock(settings.data_dir):
        stores = data_access.open_stores(settings)
        try:
            with data_access.bound(stores):
                _check_store_layout(settings)
                if settings.demo:
                    data_access.ensure_demo_accounts(password_hash=lambda: hash_password(DEMO_PASSWORD))
        except BaseException:
            stores.close()
            raise
    return stores


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


def _open_shared_views(server: Flask) -> None:
    """``/view/<token>``: a shared saved view, opened with the signed-in user's own access (behind login)."""
    @server.get("/view/<token>")
    def open_shared_view(token: str) -> Response:
        try:
            url = data_access.saved_views.open_shared(user=current_app_user(), token=token)
        except data_access.Refused as exc:
            g.csi_refusal_audited = True  # data_access audited it
            return Response(f"This view cannot be opened: {exc}", status=404, mimetype="text/plain")
        return redirect(url)  # type: ignore[return-value]  # werkzeug's Response


def _land_by_role(server: Flask) -> None:
    """A user whose role cannot use the Overview lands on their first page instead (IG, administrators)."""
    @server.before_request
    def land() -> Response | None:
        if request.method != "GET" or request.path != "/":
            return None
        user = current_app_user()
        if user is None or data_access.policy.may_open_page(user, "aggregates"):
            return None
        target = shell.landing_path(user)
        return redirect(target) if target != "/" else None  # type: ignore[return-value]  # werkzeug's Response


def _check_store_layout(settings: Settings) -> None:
    """An analytics store built by an older version: the demo store is rebuilt; any other is refused."""
    problem = data_access.store_layout_problem()
    if problem is None:
        return
    if not settings.demo:
        raise RuntimeError(problem)
    print(f"{problem}\nRebuilding the demo store now.", file=sys.stderr)
    build_demo_store(settings)
    data_access.reopen_analytics()


def build_demo_store(settings: Settings, scale: float | None = None, seed: int | None = None) -> None:
    """Build the synthetic demo analytics store at ``settings.analytics_url`` (swapped in when complete).

    Side effects: writes the store, prints progress and a summary to stderr. Takes no lock: callers
    hold ``startup_lock`` (``prepare_stores``, ``cli.py build-demo``).
    """
    from refresh import demo

    counts = demo.build(settings.analytics_url, seed=seed or settings.demo_seed,
                        scale=scale or settings.demo_scale, as_of=None, progress=True)
    print(f"Built demo store: {sum(counts.values()):,} rows in {len(counts)} tables.", file=sys.stderr)


if __name__ == "__main__":
    from cli import main

    sys.exit(main())

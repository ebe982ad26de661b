"""The app's static files fetched while a person types at the sign-in page.

A browser that has never opened the app spends about half a second of its first sign-in on the app's
JavaScript: 4 MB of Dash, its component libraries and Plotly.js, downloaded, then compiled before
anything can draw. A returning browser has them in its cache, compiled (V8's code cache). The
sign-in page registers a service worker (``/csi-sw.js``) that fetches them into CacheStorage while
the person types; signed in, the app's pages get those files from that cache, without waiting for
the network or for a server busy with other requests.

What the worker holds and serves is only this list: the scripts and stylesheets Dash links in its
index page, the lazily loaded chunks the dashboards use (Plotly.js and dcc's graph; AG Grid's
community chunk for Records), all public static files with no data in them, the same for everyone
(``auth.guard``: open to GET before sign-in). Every other request (pages, layouts, callbacks, exports,
the child record) goes to the network as before: the worker's routes send them there without waking
it, and its fetch handler answers only for the listed URLs. The list is versioned by its own digest
and that of Plotly.js (served at an unfingerprinted URL): a changed app installs a new worker, which
deletes the old cache. Signing out clears it with the rest of the site's storage (Clear-Site-Data).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import dash
from dash.exceptions import DependencyException
from flask import Response, jsonify, request

from dashboards import _plotlyjs as plotlyjs

URL = "/csi-sw.js"  # at the root: its scope is the whole app
HEAD = "self.CSI_PRECACHE = "  # the worker script's first line: this, its list as JSON, ";"
SCRIPT = Path(__file__).with_name("_sw.js")
# Chunks the app loads after its index page, by (namespace, file): dcc's graph and AG Grid's
# community grid (Records). Dash serves them at unfingerprinted URLs under the component suites.
LAZY_CHUNKS = (("dash", "dcc/async-graph.js"), ("dash_ag_grid", "async-community.js"))
_LINKS = re.compile(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"')


def static_urls(app: dash.Dash) -> list[str]:
    """The static files a signed-in page loads: the index page's scripts and stylesheets, then the
    lazily loaded chunks. Only paths under ``assets/`` and the component suites, in order, once each."""
    prefix = app.config.requests_pathname_prefix
    with app.server.test_request_context(prefix):
        index = app.index()  # also registers the component suites' files with Dash, as a real index does
    statics = (prefix + "assets/", prefix + "_dash-component-suites/")  # auth.guard: public, no data
    found = [u for u in _LINKS.findall(index) if u.startswith(statics)]
    # Only chunks Dash serves (the version installed may have renamed one): what its own route checks.
    found += [f"{prefix}_dash-component-suites/{namespace}/{path}" for namespace, path in LAZY_CHUNKS
              if path in app.registered_paths.get(namespace, ())]
    found.append(prefix + plotlyjs.RENDERER_URL)
    return list(dict.fromkeys(u.replace("&amp;", "&") for u in found))


def worker_script(urls: list[str], plotly_version: str) -> str:
    """The service worker: its precache list and version, then ``_sw.js``."""
    version = hashlib.sha256(json.dumps([urls, plotly_version]).encode()).hexdigest()[:16]
    head = HEAD + json.dumps({"version": version, "urls": urls}) + ";\n"
    return head + SCRIPT.read_text(encoding="utf-8")


def install(app: dash.Dash, *, plotly_version: str) -> None:
    """Serve the service worker at ``/csi-sw.js`` (built on its first request, then kept).
    ``plotly_version``: what the unfingerprinted Plotly.js URL serves (``plotlyjs.use_partial_bundle``)."""
    built: list[str] = []

    def service_worker() -> Response:
        if not built:
            built.append(worker_script(static_urls(app), plotly_version))
        # No caching (auth.headers: no-store): the browser compares it on every visit and installs a new one.
        return Response(built[0], mimetype="text/javascript")

    app.server.add_url_rule(URL, "csi_service_worker", service_worker)

    @app.server.errorhandler(DependencyException)
    def not_a_component_file(error: DependencyException) -> Any:
        # Dash's answer to a path it does not serve names every file it does: now open before sign-in.
        if request.path.startswith(app.config.requests_pathname_prefix + "_dash-component-suites/"):
            return jsonify({"error": "not found"}), 404
        raise error

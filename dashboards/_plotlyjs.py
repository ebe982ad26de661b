"""Plotly.js for the charts: the partial "basic" bundle (bar, scatter, pie), not plotly.py's full one.

Every chart here is a bar chart (``_charts.figure``; ``benchmarks._chart``), so the browser need not
download and compile the full plotly.min.js (4.8 MB, every trace type) that Dash serves from plotly.py's
package data: the basic bundle is 1.2 MB. It is npm's ``plotly.js-basic-dist-min`` at the plotly.js
version plotly.py ships (``plotly.offline.get_plotlyjs_version()``), vendored unchanged in
``assets/vendor`` with its MIT licence; ``tests/test_plotlyjs.py`` fails when the two versions part.

How Dash loads Plotly.js: not from the page's script tags. ``dcc.Graph`` uses ``window.Plotly`` if it
exists, else adds a script tag for the URL the renderer keeps in ``window._dashPlotlyJSURL`` (with
``serve_locally``: ``_dash-component-suites/plotly/package_data/plotly.min.js``, unfingerprinted),
when the first graph is drawn: so Plotly downloads and compiles while the page's callbacks are on
their way. ``use_partial_bundle`` keeps that lazy load and answers that URL with the basic bundle;
Dash's own entry for the full bundle is dropped, so nothing serves it any more.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from pathlib import Path

import dash
from dash import dcc
from flask import Response, send_file
from plotly.offline import get_plotlyjs_version

BUNDLE_NAME = "plotly-basic-{version}.min.js"  # in assets/vendor, with plotly-basic-{version}.LICENSE.txt
# The URL the Dash renderer loads Plotly.js from when it serves locally (dash-renderer's APP).
RENDERER_URL = "_dash-component-suites/plotly/package_data/plotly.min.js"
# Dash includes every .js under assets/ in each page; the bundle loads only when a graph needs it.
ASSETS_IGNORE = r"plotly-basic-.*\.js$"


def bundle_path(assets_folder: Path) -> Path:
    """The vendored basic bundle for the plotly.js version plotly.py ships (may not exist)."""
    return assets_folder / "vendor" / BUNDLE_NAME.format(version=get_plotlyjs_version())


def use_partial_bundle(app: dash.Dash, assets_folder: Path) -> str:
    """Serve the vendored basic bundle where the renderer loads Plotly.js from, instead of the full one.
    Returns what the renderer's (unfingerprinted) Plotly.js URL serves: the bundle's ETag, or the full
    bundle's plotly.js version.

    Side effects: removes Dash's ``plotly`` entries from ``dcc._js_dist`` (a module global that every
    ``dash.Dash`` appends one to) and adds a route to ``app.server``. Without a vendored bundle for
    plotly.py's plotly.js version (plotly.py upgraded alone) it warns and leaves Dash's full bundle.
    """
    bundle = bundle_path(assets_folder)
    if not bundle.is_file():
        warnings.warn(f"{bundle} is missing: serving plotly.py's full plotly.js (see dashboards/_plotlyjs.py)",
                      stacklevel=2)
        return f"full-{get_plotlyjs_version()}"
    dcc._js_dist[:] = [r for r in dcc._js_dist if r.get("namespace") != "plotly"]  # noqa: SLF001  (Dash's own list)
    prefix = app.config.routes_pathname_prefix

    # Read once: sent from memory, so no open file is left behind when a browser drops the request
    # half-way or gets a 304 (an unclosed file handle per such request otherwise).
    content = bundle.read_bytes()
    etag = hashlib.sha256(content).hexdigest()[:32]
    modified = bundle.stat().st_mtime

    def plotly_js() -> Response:
        # Unfingerprinted URL: the browser revalidates (ETag, Last-Modified) and gets a 304 when unchanged.
        return send_file(io.BytesIO(content), mimetype="text/javascript", max_age=None, conditional=True,
                         etag=etag, last_modified=modified)

    app.server.add_url_rule(prefix + RENDERER_URL, "csi_plotly_js", plotly_js)
    return etag


def bundle_version(bundle: Path) -> str | None:
    """The plotly.js version a bundle's licence banner names (``plotly.js (basic - minified) vX.Y.Z``)."""
    with bundle.open(encoding="utf-8") as handle:
        found = re.search(r"plotly\.js \(basic - minified\) v(\S+)", handle.read(400))
    return found.group(1) if found else None

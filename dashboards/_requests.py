"""Refuse malformed callback requests before Dash dispatches them.

Every callback is a public endpoint and anyone signed in can POST any body. Dash itself answers a
body that names no registered output, is not an object, or hands its page router a pathname that is
not a path, with a 500. Such requests are refused here with a plain 400 instead; everything that is
well-formed still reaches the callbacks, which validate their values through data_access.
"""

from __future__ import annotations

from typing import Any

import dash
from flask import jsonify, request

URL_PROPS = {"pathname": "/", "search": "?", "hash": "#", "href": "http"}


def _problem(body: Any, callback_map: dict[str, Any]) -> str | None:
    if not isinstance(body, dict):
        return "the request body must be an object"
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "unknown output"
    for key in ("inputs", "state"):
        items = body.get(key, [])
        if not isinstance(items, list):
            return f"{key} must be a list"
        if len(items) != len(callback_map[output].get(key, [])):
            return f"{key} do not match the callback"
        for item in _flatten(items):
            if not isinstance(item, dict) or not isinstance(item.get("property"), str) or "id" not in item:
                return f"malformed {key}"
            prefix = URL_PROPS.get(item["property"])
            value = item.get("value")
            if prefix and value not in (None, "") and not (isinstance(value, str) and value.startswith(prefix)):
                return f"{item['property']} must be a {item['property']}"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "changedPropIds must be a list of strings"
    return None


def _flatten(items: list) -> list:
    flat: list = []
    for item in items:
        flat.extend(item if isinstance(item, list) else [item])  # pattern-matching inputs come as lists
    return flat


def install_callback_checks(app: dash.Dash) -> None:
    """Check the shape of every POST to Dash's callback endpoint (after the auth guard has run)."""
    endpoint = f"{app.config.requests_pathname_prefix}_dash-update-component"

    @app.server.before_request
    def check_callback_body() -> Any:
        if request.method != "POST" or request.path != endpoint:
            return None
        problem = _problem(request.get_json(silent=True), app.callback_map)
        if problem:
            return jsonify({"error": f"Bad callback request: {problem}."}), 400
        return None

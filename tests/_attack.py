"""Helpers for attacking the app the way a logged-in user with a script would.

- ``server_callbacks`` / ``forged_body``: read ``/_dash-dependencies`` and build ``/_dash-update-component``
  bodies shaped as dash-renderer 4.x sends them (``output``, ``outputs``, ``inputs``, ``state``,
  ``changedPropIds``), with pattern-matching (dict) ids made concrete from forged values.
- ``post``: send one body; an exception escaping the app (a 500 in production) comes back as a
  ``Sent`` with ``status=500`` and the exception, so a sweep can report every one instead of stopping.
- ``ChildIdentifiers``: every child's direct identifiers read straight from the analytics store, and
  ``scan`` to find them in a response body (names, LA child IDs, UPNs, postcodes, dates of birth in the
  formats a page might render).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

UPDATE = "/_dash-update-component"
WILDCARDS = ('["ALL"]', '["MATCH"]', '["ALLSMALLER"]')
ACCEPTABLE = frozenset({200, 204, 400, 401, 403, 415})  # answers and refusals; a 500 is a crash
CSRF_COOKIES = ("_csrf_token", "__Host-csi_csrf")  # dash-renderer copies this cookie to X-CSRFToken


# --- callback bodies -----------------------------------------------------------------------------

def server_callbacks(dependencies: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The callbacks that run on the server (clientside ones never reach it), one per output string."""
    seen: dict[str, dict[str, Any]] = {}
    for dep in dependencies:
        if not dep.get("clientside_function"):
            seen.setdefault(dep["output"], dict(dep))
    return list(seen.values())


def split_output(output: str) -> list[dict[str, Any]]:
    """``"a.b"`` or ``"..a.b...c.d.."`` as [{id, property}], dict ids decoded (as the renderer has them)."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    out = []
    for part in parts:
        id_, prop = part.rsplit(".", 1)
        out.append({"id": json.loads(id_) if id_.startswith("{") else id_, "property": prop})
    return out


def is_multi(output: str) -> bool:
    return output.startswith("..")


def stringify_id(id_: object) -> str:
    """Dash's id string: dict ids as JSON with sorted keys and no spaces."""
    if isinstance(id_, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{json.dumps(id_[k])}" for k in sorted(id_)) + "}"
    return str(id_)


def _wildcard(value: object) -> str | None:
    text = json.dumps(value)
    return text if text in WILDCARDS else None


def concrete_ids(id_: object, index: object, *, count: int = 2) -> list[object]:
    """The concrete ids a forged request names for ``id_``: itself, or with wildcards replaced.

    ``MATCH``/``ALLSMALLER`` keys take ``index`` (a forged value: a reference, an integer, ...);
    ``ALL`` keys give ``count`` ids, the first with ``index``.
    """
    if not isinstance(id_, dict):
        return [id_]
    kinds = {k: _wildcard(v) for k, v in id_.items()}
    if not any(kinds.values()):
        return [dict(id_)]
    many = any(k == '["ALL"]' for k in kinds.values())
    return [{k: (index if n == 0 else f"{index}-{n}") if kinds[k] else v for k, v in id_.items()}
            for n in range(count if many else 1)]


def _is_all(id_: object) -> bool:
    return isinstance(id_, dict) and any(_wildcard(v) in ('["ALL"]', '["ALLSMALLER"]') for v in id_.values())


def _hashable(value: object) -> object:
    return value if isinstance(value, str | int | float | bool) or value is None else json.dumps(value)


def _filled(spec: Mapping[str, Any], value: object) -> dict[str, Any] | list[dict[str, Any]]:
    ids = concrete_ids(spec["id"], _hashable(value))
    items = [{"id": i, "property": spec["property"], "value": value} for i in ids]
    return items if _is_all(spec["id"]) else items[0]


def forged_body(callback: Mapping[str, Any], inputs: Sequence[object], state: Sequence[object], *,
                changed: int | None = None) -> dict[str, Any]:
    """A ``/_dash-update-component`` body for ``callback`` with the given input and state values.

    Shaped as dash-renderer 4.x sends it (``dash_renderer.dev.js``, ``payload = {output, outputs,
    inputs, changedPropIds, parsedChangedPropsIds, state}``): ``outputs`` is a list for a
    multi-output callback and one {id, property} otherwise; an ``ALL`` input is a list of
    {id, property, value}. ``changed``: the input reported as the trigger (``ctx.triggered_id``);
    None reports every input.
    """
    specs_in, specs_state = callback["inputs"], callback.get("state") or []
    index = _hashable(inputs[0]) if inputs else "x"
    outputs: list[Any] = []
    for out in split_output(callback["output"]):
        ids = concrete_ids(out["id"], index)
        items = [{"id": i, "property": out["property"]} for i in ids]
        outputs.append(items if _is_all(out["id"]) else items[0])
    body_inputs = [_filled(s, v) for s, v in zip(specs_in, inputs, strict=True)]
    body_state = [_filled(s, v) for s, v in zip(specs_state, state, strict=True)]
    triggers = []
    for n, item in enumerate(body_inputs):
        if changed is not None and n != changed % len(body_inputs):
            continue
        for one in item if isinstance(item, list) else [item]:
            triggers.append(f"{stringify_id(one['id'])}.{one['property']}")
    body: dict[str, Any] = {
        "output": callback["output"],
        "outputs": outputs if is_multi(callback["output"]) else outputs[0],
        "inputs": body_inputs,
        "changedPropIds": triggers,
        "parsedChangedPropsIds": triggers,
    }
    if body_state:
        body["state"] = body_state
    return body


@dataclass
class Sent:
    """One forged request and what came back."""

    body: dict[str, Any]
    status: int
    text: str
    error: str | None = None  # the exception that escaped the app (a 500 in production)

    @property
    def request_text(self) -> str:
        return json.dumps(self.body)

    def outputs(self) -> dict[str, dict[str, Any]]:
        """``{component id: {property: value}}`` from a 200 response."""
        if self.status != 200:
            return {}
        return json.loads(self.text).get("response", {})


def renderer_headers(client: Any) -> dict[str, str]:
    """The headers dash-renderer sends with a callback: JSON, and the CSRF cookie echoed as a header."""
    headers = {"Accept": "application/json"}
    for name in CSRF_COOKIES:
        cookie = client.get_cookie(name)
        if cookie is not None:
            headers["X-CSRFToken"] = cookie.value
    return headers


def post(client: Any, body: object) -> Sent:
    """POST ``body`` to the callback endpoint as the renderer does (same headers); never raises."""
    try:
        response = client.post(UPDATE, data=json.dumps(body), content_type="application/json",
                               headers=renderer_headers(client))
    except Exception as exc:  # the app's TESTING mode re-raises what production turns into a 500
        return Sent(body, 500, "", f"{type(exc).__name__}: {exc}"[:500])  # type: ignore[arg-type]
    return Sent(body, response.status_code, response.get_data(as_text=True))  # type: ignore[arg-type]


def call(client: Any, callback: Mapping[str, Any], inputs: Sequence[object], state: Sequence[object] = ()) -> Sent:
    return post(client, forged_body(callback, inputs, state))


def page_views(callbacks: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The aggregate pages' view callbacks: URL, slicers and clicks in; the state and the KPI cards out."""
    return [dict(cb) for cb in callbacks
            if any(isinstance(o["id"], str) and o["id"].endswith("-cards") for o in split_output(cb["output"]))
            and any(isinstance(i["id"], str) and i["id"].endswith("-url") for i in cb["inputs"])]


def view_call(client: Any, callback: Mapping[str, Any], filters: Mapping[str, object], *,
              open_tables: object = None, via: str = "url", drawn: object = None) -> Sent:
    """An aggregate page's view callback asked for the view ``filters`` (a forged view state).

    ``via="url"``: as a link's query string (the URL is the trigger). ``via="state"``: as the page's
    held state store, with the period slicer changed as the trigger (the page is drawn only for a
    state that changed).
    ``open_tables``: the page's list of open table views (None: none); ``drawn``: the page's store of
    what it already shows (the digests the last answer gave; None: nothing drawn yet)."""
    specs = callback["inputs"]
    ids = [i["id"] if isinstance(i["id"], str) else "" for i in specs]
    inputs: list[object] = [None] * len(specs)
    if via == "url":
        trigger = next(n for n, i in enumerate(ids) if i.endswith("-url"))
        inputs[trigger] = "?" + urlencode({k: str(v) for k, v in filters.items()})
    else:  # the period set to 3 months (6 if the filters say 3) changes the state, as a slicer would
        trigger = next(n for n, i in enumerate(ids) if i.endswith("-period"))
        inputs[trigger] = "m6" if str(filters.get("period_months")) == "3" else "m3"
    state: list[object] = []
    for spec in callback.get("state") or []:
        name = spec["id"] if isinstance(spec["id"], str) else ""
        state.append(dict(filters) if via == "state" and name.endswith("-state") else
                     open_tables if name.endswith("-tables") else drawn if name.endswith("-drawn") else None)
    return post(client, forged_body(callback, inputs, state, changed=trigger))


def search_refs(request_text: str) -> list[str]:
    """The ``ref`` values of every ``?ref=...`` query string in a request (to know what was asked for)."""
    return re.findall(r"\?ref=([A-Za-z0-9_.-]+)(?![&A-Za-z0-9_.-])", request_text)


def find_callback(callbacks: Iterable[Mapping[str, Any]], *, output_id: str, input_id: str | None = None,
                  state_id: str | None = None) -> dict[str, Any]:
    """The callback writing to ``output_id`` (and reading ``input_id``/``state_id`` when given)."""
    for cb in callbacks:
        outs = {o["id"] if isinstance(o["id"], str) else stringify_id(o["id"]) for o in split_output(cb["output"])}
        ins = {i["id"] for i in cb["inputs"] if isinstance(i["id"], str)}
        states = {s["id"] for s in cb.get("state") or [] if isinstance(s["id"], str)}
        if output_id in outs and (input_id is None or input_id in ins) and (state_id is None or state_id in states):
            return dict(cb)
    raise LookupError(f"no callback writes {output_id!r} (input {input_id!r}, state {state_id!r})")


# --- the store's identifiers ---------------------------------------------------------------------

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATE_PATTERNS: list[tuple[re.Pattern[str], tuple[str, str, str]]] = [
    (re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"), ("y", "m", "d")),  # ISO, also 2015-05-01T00:00:00
    (re.compile(r"(?<!\d)(\d{4})/(\d{2})/(\d{2})(?!\d)"), ("y", "m", "d")),
    (re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)"), ("d", "m", "y")),  # UK style
    (re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d)"), ("d", "m", "y")),
    (re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)? ({_MONTH})\.?,? (\d{{4}})(?!\d)", re.I), ("d", "b", "y")),
    (re.compile(rf"\b({_MONTH})\.? (\d{{1,2}})(?:st|nd|rd|th)?,? (\d{{4}})(?!\d)", re.I), ("b", "d", "y")),
]
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")


def dates_in(text: str) -> set[dt.date]:
    """Every calendar date written in ``text`` in the formats a page may render."""
    found: set[dt.date] = set()
    for pattern, order in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            parts = dict(zip(order, match.groups(), strict=True))
            month = MONTHS.get(parts["b"].lower().rstrip(".")) if "b" in parts else int(parts["m"])
            try:
                found.add(dt.date(int(parts["y"]), month or 0, int(parts["d"])))
            except ValueError:
                continue
    return found


@dataclass(frozen=True)
class Hit:
    """An identifier found in a response: what kind, the text, and the children it could belong to."""

    kind: str
    value: str
    children: frozenset[int]


@dataclass
class ChildIdentifiers:
    """Direct identifiers of every child in the analytics store, for scanning responses."""

    unique: dict[str, set[int]] = field(default_factory=dict)  # LA child ID, UPN, former UPN -> child
    full_names: dict[str, set[int]] = field(default_factory=dict)  # "Forename Surname" -> children
    forenames: dict[str, set[int]] = field(default_factory=dict)
    surnames: dict[str, set[int]] = field(default_factory=dict)
    postcodes: dict[str, set[int]] = field(default_factory=dict)
    birth_dates: dict[dt.date, set[int]] = field(default_factory=dict)
    staff_names: frozenset[str] = frozenset()  # workers' names share the synthetic name vocabulary

    @classmethod
    def load(cls, engine: sa.Engine) -> ChildIdentifiers:
        """Read every child's identifiers with plain SQL (no data_access: the test's own view)."""
        ids = cls()
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT child_id, la_child_id, upn, former_upn, forename, surname, birth_date, postcode "
                "FROM children")).all()
            staff = conn.execute(sa.text("SELECT name FROM workers")).scalars().all()
        for child, la_id, upn, former, fore, sur, born, postcode in rows:
            for value in (la_id, upn, former):
                if value:
                    ids.unique.setdefault(str(value), set()).add(int(child))
            if fore and sur:
                ids.full_names.setdefault(f"{fore} {sur}", set()).add(int(child))
                ids.full_names.setdefault(f"{sur} {fore}", set()).add(int(child))
                ids.full_names.setdefault(f"{sur}, {fore}", set()).add(int(child))
            if fore:
                ids.forenames.setdefault(str(fore), set()).add(int(child))
            if sur:
                ids.surnames.setdefault(str(sur), set()).add(int(child))
            if postcode:
                ids.postcodes.setdefault(str(postcode).upper(), set()).add(int(child))
            if born:
                day = born if isinstance(born, dt.date) else dt.date.fromisoformat(str(born)[:10])
                ids.birth_dates.setdefault(day, set()).add(int(child))
        ids.staff_names = frozenset(str(s) for s in staff if s)
        return ids

    def _without_staff(self, text: str) -> str:
        # Workers' names are staff data shown legitimately (allocations); they share the synthetic
        # vocabulary, so they are cut out before looking for children's names.
        for name in self.staff_names:
            if name in text:
                text = text.replace(name, " ")
        return text

    def scan(self, text: str, *, echo: str = "", dates: bool = True,
             allowed_dates: Iterable[dt.date] = ()) -> list[Hit]:
        """Identifiers of any child in ``text``, ignoring what also appears in ``echo`` (the request).

        An attacker's own input echoed back in an error message is not a leak; anything else is.
        ``dates``: report dates of birth too (any date in ``text`` that is some child's birth date,
        unless in ``allowed_dates``, e.g. the reporting dates an aggregate view shows).
        """
        clean = self._without_staff(text)
        hits: list[Hit] = []
        tokens = set(_TOKEN.findall(clean))
        for token in tokens:
            if token in self.unique and token not in echo:
                hits.append(Hit("id", token, frozenset(self.unique[token])))
        words = _WORD.findall(clean)
        for a, b in zip(words, words[1:], strict=False):
            for name in (f"{a} {b}", f"{a}, {b}"):
                if name in self.full_names and name not in echo:
                    hits.append(Hit("name", name, frozenset(self.full_names[name])))
        for word in set(words):
            for kind, table in (("forename", self.forenames), ("surname", self.surnames)):
                if word in table and word not in echo:
                    hits.append(Hit(kind, word, frozenset(table[word])))
        for code in set(_POSTCODE.findall(clean)):
            if code in self.postcodes and code not in echo:
                hits.append(Hit("postcode", code, frozenset(self.postcodes[code])))
        if dates:
            allowed = set(allowed_dates)
            echoed = dates_in(echo)
            for day in dates_in(clean) - allowed - echoed:
                if day in self.birth_dates:
                    hits.append(Hit("birth_date", day.isoformat(), frozenset(self.birth_dates[day])))
        return hits

    def attributable(self, text: str, *, echo: str = "") -> list[Hit]:
        """Hits that single out children: LA child IDs, UPNs and full names (not shared tokens or dates)."""
        return [h for h in self.scan(text, echo=echo, dates=False) if h.kind in ("id", "name")]

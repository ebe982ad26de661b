"""Audit chain: information governance verifies the audit trail's tamper evidence (IG officers).

Questions it answers:
- Is the audit trail intact: every entry's keyed hash, the chain between entries, the head, and every
  signed checkpoint kept outside the database?
- Which is the latest verified checkpoint, and when was it signed?
The same check as ``app.py verify-audit``, run through ``data_access.access_log.verify_chain``, which
refuses (and audits) every other role, signs a checkpoint of the verified head and audits the check.
"""

from __future__ import annotations

import dash
from dash import Input, Output, callback, dcc, html

from auth import current_app_user
from dashboards import _components as ui
from data_access import Refused, access_log

dash.register_page(__name__, access="audit", order=11, path="/ig/audit-chain", name="Audit chain",
                   title="Audit chain - Children's Services Insight")

URL, VERIFY, RESULT = "chain-url", "chain-verify", "chain-result"


def layout(**_query: str) -> html.Div:
    """Skeleton only: the verification runs in ``verify`` when the page opens and on the button."""
    return html.Div([
        dcc.Location(id=URL),
        html.H1("Audit chain"),
        html.P("Every entry in the audit trail is chained to the one before it by a keyed hash, and the chain's "
               "head is signed into a checkpoint file kept outside the database. Verifying checks both; an intact "
               "trail gets a new signed checkpoint. Each verification is recorded in the audit trail.",
               className="csi-asof"),
        html.Button("Verify again", id=VERIFY, className="btn btn-primary mb-3"),
        html.Div(id=RESULT, role="status", **{"aria-live": "polite"}),  # type: ignore[arg-type]  # aria-*/data-* go to **kwargs; mypy matches the dict to typed props
    ])


def _report(check: access_log.ChainCheck) -> html.Div:
    verdict = "Intact" if check.ok else "BROKEN"
    latest = (f"Latest verified checkpoint: entry {check.checkpoint_seq:,}, signed {check.checkpoint_at} (London)"
              if check.checkpoint_seq is not None else "No signed checkpoint yet")
    return html.Div([
        html.Div([html.Strong(f"{verdict}: "), f"{check.checked:,} entries verified."],
                 className=f"alert alert-{'success' if check.ok else 'danger'} csi-alert", id="chain-verdict"),
        html.P(latest if check.ok else "No checkpoint was signed: the trail did not verify.", id="chain-checkpoint"),
        html.Details([html.Summary("The verifier's report"),
                      html.Ul([html.Li(line, className="csi-text") for line in check.lines])], open=not check.ok),
    ])


@callback(Output(RESULT, "children"), Input(URL, "pathname"), Input(VERIFY, "n_clicks"))
def verify(_path: object, _clicks: object) -> html.Div:
    """Verify now; data_access refuses (and audits) anyone but IG and audits the verification."""
    try:
        return _report(access_log.verify_chain(user=current_app_user()))
    except Refused as exc:
        return ui.message(str(exc))

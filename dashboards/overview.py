"""Overview: the statutory KPIs leadership and service managers bring to a performance meeting.

Questions it answers:
- How many children are in need now, and how does that compare per 10,000 children?
- How many referrals have we had, and how many came back within 12 months?
- Are assessments completed within 45 working days?
- How many children are on a child protection plan, and how many have an EHC plan?
- Which way are referrals going, month by month?
"""

from __future__ import annotations

import dash
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html

import data_access
from auth import current_app_user
from dashboards import _components as ui
from dashboards import _figures as figures
from data_access import codes

dash.register_page(__name__, path="/", name="Overview", title="Overview - Children's Services Insight")

PERIOD, LOCALITY, AGE, SEX = "overview-period", "overview-locality", "overview-age", "overview-sex"
KPIS, ASOF, ALERT = "overview-kpis", "overview-asof", "overview-alert"
TREND, TREND_SUMMARY, TREND_TABLE = "overview-trend", "overview-trend-summary", "overview-trend-table"


def _slicer(label: str, component_id: str, options: dict[str, str], value: object = None) -> html.Div:
    return html.Div([
        html.Label(label, htmlFor=component_id, className="form-label"),
        dcc.Dropdown(id=component_id, options=[{"label": v, "value": k} for k, v in options.items()],
                     value=value, clearable=value is None, placeholder="All"),
    ], className="col-6 col-md-3")


def layout(**_query: str) -> html.Div:
    """Skeleton only: every value arrives through ``update_overview`` (layouts carry no data)."""
    return html.Div([
        html.H1("Overview"),
        html.P(id=ASOF, className="csi-asof"),
        html.Div([
            html.Div([
                html.Label("Period", htmlFor=PERIOD, className="form-label"),
                dcc.Dropdown(id=PERIOD, clearable=False, value=12, options=[
                    {"label": f"Last {m} months", "value": m} for m in (3, 6, 12, 24, 36)]),
            ], className="col-6 col-md-3"),
            _slicer("Locality", LOCALITY, codes.LOCALITY),
            _slicer("Age band", AGE, codes.AGE_BAND),
            _slicer("Sex", SEX, codes.SEX),
        ], className="row g-2 mb-3", role="group", **{"aria-label": "Slicers"}),
        html.Div(id=ALERT),
        dcc.Loading(html.Div(id=KPIS, className="row"), type="dot"),
        ui.chart_panel(graph_id=TREND, title="Referrals per month", summary_id=TREND_SUMMARY,
                       table_id=TREND_TABLE),
    ])


@callback(
    Output(KPIS, "children"), Output(TREND, "figure"), Output(TREND_SUMMARY, "children"),
    Output(TREND_TABLE, "children"), Output(ASOF, "children"), Output(ALERT, "children"),
    Input(PERIOD, "value"), Input(LOCALITY, "value"), Input(AGE, "value"), Input(SEX, "value"),
)
def update_overview(period: object, locality: object, age: object, sex: object) -> tuple:
    filters = {"period_months": period, "locality": locality, "age_band": age, "sex": sex}
    try:
        data = data_access.overview(user=current_app_user(), filters=filters)
    except (data_access.AccessDenied, data_access.InvalidFilter) as exc:
        empty = figures.empty_figure("No data")
        return [], empty, "", None, "", ui.message(str(exc))
    cards = [
        ui.kpi_card(key=k.key, label=k.label, value=ui.format_value(k.value, k.unit), sub=_sub(k),
                    definition=k.definition, na=k.value is None)
        for k in data.kpis
    ]
    asof = f"Data to {data.as_of:%d %B %Y}. Counts of 1 to 5 are shown as c."
    if data.referrals_by_month is None:
        return cards, figures.empty_figure("Outside your services"), "", None, asof, None
    frame = data.referrals_by_month
    fig: go.Figure = figures.monthly_bars(frame, x="month", series={"referrals": "Referrals",
                                                                    "rereferrals": "Re-referrals"},
                                          title="")
    table = ui.data_table(frame.assign(month=frame["month"].map(lambda d: f"{d:%b %Y}")),
                          caption="Referrals and re-referrals per month",
                          columns=[("month", "Month"), ("referrals", "Referrals"), ("rereferrals", "Re-referrals")])
    return cards, fig, _trend_summary(frame), table, asof, None


def _sub(kpi: data_access.aggregates.overview.Kpi) -> str | None:  # type: ignore[name-defined]
    if kpi.value is None:
        return kpi.note
    if kpi.unit == "percent":
        return f"{ui.format_value(kpi.numerator)} of {ui.format_value(kpi.denominator)}"
    if kpi.rate_per_10k is not None:
        return f"{ui.format_value(kpi.rate_per_10k)} per 10,000 children"
    return None


def _trend_summary(frame) -> str:  # type: ignore[no-untyped-def]
    shown = frame[frame["referrals"] != "c"]
    if shown.empty:
        return "All monthly counts are suppressed."
    top = shown.loc[shown["referrals"].astype(int).idxmax()]
    first, last = frame.iloc[0], frame.iloc[-1]
    return (f"Referrals per month from {first['month']:%B %Y} to {last['month']:%B %Y}: "
            f"highest {int(top['referrals']):,} in {top['month']:%B %Y}; "
            f"latest month {ui.format_value(last['referrals'])}.")

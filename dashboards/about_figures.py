"""How figures are protected: the fuller explanation the note on every page links to (static text)."""

from __future__ import annotations

import dash
from dash import html

dash.register_page(__name__, access="signed_in", path="/about-figures", name="How figures are protected", nav=False,
                   title="How figures are protected - Children's Services Insight")

PARAGRAPHS = (
    "Every figure on the dashboards counts children, or events such as referrals, and is shared with "
    "staff who may not see the children's records. So that no figure, alone or set beside others, "
    "lets anyone work out a small number about identifiable children, figures are protected by the "
    "cell-key method used by the Office for National Statistics for Census 2021 and by the Australian "
    "Bureau of Statistics.",
    "Each record carries a fixed random key. A figure is the true count plus a small adjustment, at "
    "most 2 either way, decided by the keys of exactly the records it counts. The same records give "
    "the same figure wherever they appear: on every page, chart, card, table, export and filter. "
    "Taking one view from another therefore gives a blurred difference, not a count of children.",
    "Adjusted counts from 1 to 5 are shown as c, as in the Department for Education's statistics. "
    "A true zero is shown as 0. Totals are counted from the records, not added up from the figures "
    "shown, so a total may not equal the sum of its parts. Percentages and rates are worked out from "
    "the adjusted figures, and are shown as c when the figures they come from are c or fewer than 10.",
    "Some views are not shown at all: a filtered view covering fewer than 20 children, a breakdown "
    "by ethnicity or disability combined with more than one other filter, and custom periods are "
    "rounded out to whole months.",
    "Drill-through to records (for caseworkers and team managers) lists the children in your own "
    "scope exactly; how many counted children are outside it is shown only in bands.",
)


def layout(**_query: str) -> html.Div:
    """Static text only: no data."""
    return html.Div([html.H1("How figures are protected"), *(html.P(text) for text in PARAGRAPHS)],
                    className="csi-about")

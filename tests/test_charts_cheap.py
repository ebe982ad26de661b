"""A chart's figure carries what makes Plotly redraw it cheaply on every slicer change, and still
everything the chart shows and does (bars, "c", hover text, click data, selection, series patterns).

Speed itself is measured by ``bench/plotly_react.py`` and ``bench/chromium.py``, never here: these
tests pin the settings that made it cheap, so a later edit cannot quietly bring the costs back.
"""

from __future__ import annotations

import json

from dashboards import _charts
from data_access import Visual


def _visual(**kw: object) -> Visual:
    frame = {"code": ["A", "B", "C"], "label": ["Alpha", "Beta", "Gamma"], "children": [12, "c", 40],
             "plans": [3, 8, "c"]}
    values = kw.pop("values", {"children": "Children"})
    return Visual("v", "Chart", frame=frame, values=values, **kw)  # type: ignore[arg-type]


def _axes(fig: dict) -> list[dict]:
    return [fig["layout"]["xaxis"], fig["layout"]["yaxis"]]


def test_no_template_only_the_settings_the_charts_show() -> None:
    for fig in (_charts.figure(_visual()), _charts.figure(_visual(kind="hbar")), _charts.empty("None")):
        assert "template" not in fig["layout"] and '"template"' not in json.dumps(fig)
    layout = _charts.figure(_visual())["layout"]
    assert layout["hovermode"] == "closest" and layout["hoverlabel"] == {"align": "left"}
    assert layout["autotypenumbers"] == "strict"


def test_tick_labels_are_never_measured_to_be_hidden() -> None:
    for kind in ("bar", "hbar", "time"):
        assert all(axis["ticklabeloverflow"] == "allow" for axis in _axes(_charts.figure(_visual(kind=kind))))


def test_an_axis_title_only_where_there_is_one() -> None:
    counts = _charts.figure(_visual())
    assert all("title" not in axis for axis in _axes(counts))  # a standoff would measure every tick label
    percent = _charts.figure(_visual(unit="percent"))
    assert percent["layout"]["yaxis"]["title"] == {"text": "%", "standoff": 15}


def test_legend_settings_only_with_a_legend() -> None:
    single = _charts.figure(_visual())["layout"]
    assert single["showlegend"] is False and "legend" not in single
    double = _charts.figure(_visual(values={"children": "Children", "plans": "Plans"}))["layout"]
    assert double["showlegend"] is True and double["legend"]["orientation"] == "h"


def test_the_look_the_default_template_gave_is_kept() -> None:
    fig = _charts.figure(_visual(values={"children": "Children", "plans": "Plans"}))
    first, second = fig["data"]
    assert first["marker"]["line"] == {"color": "#E5ECF6", "width": 0.5}
    assert "pattern" not in first["marker"]
    assert second["marker"]["pattern"] == {"shape": "/", "fgcolor": "#ffffff", "fillmode": "overlay", "size": 10,
                                           "solidity": 0.2}
    value_axis, category_axis = fig["layout"]["yaxis"], fig["layout"]["xaxis"]
    assert value_axis["zerolinecolor"] == "#fff" and value_axis["zerolinewidth"] == 2
    assert category_axis["showgrid"] is False and category_axis["type"] == "category"
    first["marker"]["line"]["width"] = 9  # a figure's settings are its own, not shared between figures
    assert _charts.figure(_visual())["data"][0]["marker"]["line"]["width"] == 0.5


def test_bars_c_hover_clicks_and_selection_are_all_still_there() -> None:
    fig = _charts.figure(_visual(selected="C", dim="team"))
    trace = fig["data"][0]
    assert trace["type"] == "bar" and trace["x"] == ["Alpha", "Beta", "Gamma"] and trace["y"] == [12.0, 0, 40.0]
    assert trace["text"] == ["", "c", ""] and trace["textposition"] == "outside"
    assert trace["hovertemplate"] == "%{customdata[1]}<extra>Children</extra>"
    assert [row[0] for row in trace["customdata"]] == ["A", "B", "C"] and trace["customdata"][0][2] == "team"
    assert trace["marker"]["opacity"] == [0.35, 0.35, 1.0]
    assert trace["marker"]["line"] == {"color": _charts.INK, "width": [0, 0, 3]}
    assert fig["layout"]["clickmode"] == "event"

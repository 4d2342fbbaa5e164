"""Charts: alt text from the plotted numbers, valid and deterministic SVG, accessible colours.

Expected numbers are worked by hand from small frames built here (the arithmetic is beside each),
or counted straight from the synthetic participants without the library, so a fault in
``funnel_table`` or in the charts shows up. Contrast is computed with WCAG 2.2's own formula.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from afcharts.af_colours import get_af_colours
from matplotlib.colors import to_hex

from evaluation import charts
from evaluation.data import synthetic
from evaluation.metrics import process

ROOT = Path(__file__).parent.parent
SVG = "{http://www.w3.org/2000/svg}"
METHOD = "Wilson score interval, 95%"
START, END = dt.date(2025, 4, 1), dt.date(2026, 3, 31)  # 364 days apart
ROTHERHAM = "E08000018"


@dataclass(frozen=True)
class StandIn:
    """Stands in for evaluation.metrics.projection.Projection (same attribute names)."""

    measure: str
    observed: float
    target: int | None
    data_cutoff: dt.date
    period_end: dt.date
    central: float
    low80: float
    high80: float
    low95: float
    high95: float
    probability_reaching_target: float | None


def _funnel(rows: list[tuple[str, int, int | None]]) -> pd.DataFrame:
    """A funnel_table-shaped frame from (stage, k, n); rate = k / n, intervals are not read by the chart."""
    out = []
    for stage, k, n in rows:
        rate = k / n if n else float("nan")
        out.append(
            {
                "stage": stage,
                "k": k,
                "n": pd.NA if n is None else n,
                "rate": rate,
                "lower": rate,
                "upper": rate,
                "method": "count" if n is None else METHOD,
                "definition": process.STAGE_DEFINITIONS[stage],
            }
        )
    return pd.DataFrame(out)


ROTHERHAM_FUNNEL = [  # the seed paper's 575 / 307 / 73, plus sustained rows made up for the test
    ("referrals", 575, None),
    ("starts", 307, 575),
    ("job_outcomes", 73, 307),
    ("sustained_13w", 30, 40),
    ("sustained_26w", 0, 0),  # no job has reached 26 weeks: no rate, so not drawn
]


def _cumulative(values: list[int]) -> pd.DataFrame:
    """cumulative_by_month-shaped: April and May 2025 whole, June to a cut-off of 15 June 2025."""
    ends = ["2025-04-30", "2025-05-31", "2025-06-15"][: len(values)]
    return pd.DataFrame(
        {
            "month": [e[:7] for e in ends],
            "month_end": ends,
            "referrals": [v * 4 for v in values],
            "starts": [v * 2 for v in values],
            "job_outcomes": values,
        }
    )


def _rates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": ["A", "B", "C", "All"],
            "k": [20, 0, 5, 25],
            "n": [100, 0, 50, 150],
            "rate": [0.2, float("nan"), 0.1, 25 / 150],
            "lower": [0.1333, float("nan"), 0.0421, 0.1157],
            "upper": [0.2888, float("nan"), 0.2136, 0.2343],
            "method": METHOD,
        }
    )


def _contrast(colour: str, background: str = "#ffffff") -> float:
    """WCAG 2.2 contrast ratio (https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio)."""

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _colours(svg: str) -> list[tuple[str, str, str]]:
    """(element, fill or stroke, colour) for every colour the SVG paints with."""
    found = []
    for el in ET.fromstring(svg).iter():
        tag = el.tag.removeprefix(SVG)
        for prop, colour in re.findall(r"(fill|stroke):\s*(#[0-9a-fA-F]{6})", el.get("style", "")):
            found.append((tag, prop, colour.lower()))
        if tag == "text" and "fill:" not in el.get("style", ""):
            found.append((tag, "fill", "#000000"))  # SVG's default text colour
    return found


@pytest.fixture(scope="module")
def rotherham() -> pd.DataFrame:
    d = synthetic.generate()
    return d.participants[d.participants["area_code"] == ROTHERHAM]


@pytest.fixture(scope="module")
def every_chart() -> list[charts.Chart]:
    """One of each kind, with and without data, for the structural and colour tests."""
    projection = StandIn(
        "job_outcomes", 40, 364, dt.date(2025, 6, 15), END, 150.4, 120.2, 180.6, 99.4, 1234.7, 0.0123
    )
    cum = {"target": 364, "target_label": "Target", "period_start": START, "period_end": END, "title": "Jobs"}
    return [
        charts.funnel_chart(
            _funnel(ROTHERHAM_FUNNEL), title="Funnel & <stages>", data_cutoff=dt.date(2026, 2, 15)
        ),
        charts.funnel_chart(_funnel([]).reindex(columns=["stage", "k", "n", "rate"]), title="Empty funnel"),
        charts.cumulative_chart(_cumulative([10, 25, 40]), projection=projection, **cum),
        charts.cumulative_chart(_cumulative([0, 0, 0]), **{**cum, "target": None}),
        charts.cumulative_chart(_cumulative([]), **cum),
        charts.rates_chart(_rates(), title="Rates", value_label="Job outcomes as a share of starts"),
        charts.rates_chart(_rates().iloc[[1]], title="No rates", value_label="Share"),
    ]


# --- alt text from the numbers -----------------------------------------------------------------


def test_funnel_alt_text_has_the_counts_and_conversions() -> None:
    chart = charts.funnel_chart(_funnel(ROTHERHAM_FUNNEL), title="Funnel", data_cutoff=dt.date(2026, 2, 15))
    alt = chart.alt_text
    assert alt.startswith("Bar chart of the programme funnel to 15 February 2026: 575 referrals;")
    assert "307 starts (53.4% of referrals)" in alt  # 307 / 575 = 0.5339
    assert "73 evidenced job outcomes (23.8% of starts)" in alt  # 73 / 307 = 0.2378
    assert "30 jobs sustained for 13 weeks (75.0% of the 40 evidenced jobs" in alt  # 30 / 40
    assert alt.endswith(
        "Not shown, as no evidenced job is old enough to judge yet: jobs sustained for 26 weeks."
    )
    for text in ("575", "307", "73", "53.4% of referrals", "23.8% of starts"):
        assert f">{text}</text>" in chart.svg  # drawn as searchable text too
    drawn = _funnel(ROTHERHAM_FUNNEL).iloc[:4]  # every row but sustained_26w
    pd.testing.assert_frame_equal(chart.data, drawn)


def test_funnel_uses_uk_thousands_and_handles_zero_and_missing_rates() -> None:
    big = charts.funnel_chart(_funnel([("referrals", 1234, None), ("starts", 617, 1234)]), title="Big")
    assert "1,234 referrals; 617 starts (50.0% of referrals)" in big.alt_text  # 617 / 1234 = 0.5
    none_yet = charts.funnel_chart(
        _funnel([("referrals", 100, None), ("starts", 40, 100), ("job_outcomes", 0, 40)]), title="No jobs"
    )
    assert "0 evidenced job outcomes (0.0% of starts)" in none_yet.alt_text
    no_starts = charts.funnel_chart(
        _funnel([("referrals", 9, None), ("starts", 0, 9), ("job_outcomes", 0, 0)]), title="No starts"
    )
    assert "0 evidenced job outcomes (no rate, as there are no starts)" in no_starts.alt_text


def test_withheld_figures_are_left_out_and_said_to_be_withheld() -> None:
    # Disclosure control turns withheld cells into missing numbers; they are neither drawn nor zero.
    funnel = _funnel(ROTHERHAM_FUNNEL)
    funnel.loc[funnel["stage"] == "sustained_13w", ["k", "n", "rate"]] = [30, pd.NA, float("nan")]
    funnel.loc[funnel["stage"] == "job_outcomes", ["k", "rate"]] = [float("nan"), float("nan")]
    chart = charts.funnel_chart(funnel, title="Withheld")
    assert "575 referrals; 307 starts (53.4% of referrals)." in chart.alt_text
    assert "Not shown, as the figures are withheld: evidenced job outcomes, jobs sustained for 13 weeks." in (
        chart.alt_text
    )
    assert chart.data["stage"].tolist() == ["referrals", "starts"]
    rates = _rates()
    rates.loc[2, ["k", "n", "rate", "lower", "upper"]] = float("nan")  # C withheld
    alt = charts.rates_chart(rates, title="R", value_label="Share").alt_text
    assert alt.endswith(
        "no one in the denominator: B. Not shown, as their rates are withheld or unavailable: C."
    )


def test_funnel_from_synthetic_rotherham_reproduces_the_seed_paper(rotherham: pd.DataFrame) -> None:
    # Delegated Officer Decision, 2 March 2026, paragraph 1.14: 575 referrals, 307 starts, 73 jobs.
    alt = charts.funnel_chart(process.funnel_table(rotherham), title="Rotherham").alt_text
    assert (
        "575 referrals; 307 starts (53.4% of referrals); 73 evidenced job outcomes (23.8% of starts)" in alt
    )


def test_cumulative_from_synthetic_rotherham(rotherham: pd.DataFrame) -> None:
    cutoff = dt.date(2026, 2, 15)
    table = process.cumulative_by_month(rotherham, data_cutoff=cutoff, period_start=START)
    chart = charts.cumulative_chart(
        table, target=None, target_label="", period_start=START, period_end=END, title="Jobs"
    )
    jobs = int(
        (rotherham["job_evidenced"].astype(bool) & (rotherham["job_start_date"] <= "2026-02-15")).sum()
    )
    assert jobs == 73  # the seed paper's evidenced job outcomes
    assert f"Latest: {jobs} by 15 February 2026." in chart.alt_text
    assert chart.alt_text.endswith(f"February 2026 (to 15 February 2026), {jobs}.")
    pd.testing.assert_frame_equal(chart.data, table)


def test_cumulative_alt_text_states_latest_trajectory_and_projection() -> None:
    # Target 364 over the 364 days from 1 April 2025 to 31 March 2026, so the line's value is the
    # number of days elapsed: 29 on 30 April, 60 on 31 May, 75 on 15 June 2025.
    projection = StandIn(
        "job_outcomes",
        40,
        364,
        dt.date(2025, 6, 15),
        END,
        np.float64(150.4),
        120.2,
        180.6,
        99.4,
        1234.7,
        np.float64(0.0123),
    )
    chart = charts.cumulative_chart(
        _cumulative([10, 25, 40]),
        target=364,
        target_label="Delivery plan target",
        period_start=START,
        period_end=END,
        projection=projection,
        title="Jobs",
    )
    alt = chart.alt_text
    assert "April 2025 to 15 June 2025. Latest: 40 by 15 June 2025." in alt
    assert "Delivery plan target: 364 by 31 March 2026" in alt
    assert (
        "from zero on 1 April 2025; at 15 June 2025 that line is at 75, so the latest figure is 35 below it"
        in alt
    )
    assert (
        "Projection to 31 March 2026: central estimate 150; 80% range 120 to 181; 95% range 99 to 1,235; "
        "chance of reaching the target 1.2%." in alt
    )
    assert alt.endswith("April 2025, 10; May 2025, 25; June 2025 (to 15 June 2025), 40.")
    assert chart.data["target_trajectory"].tolist() == pytest.approx([29, 60, 75])
    pd.testing.assert_frame_equal(chart.data.drop(columns="target_trajectory"), _cumulative([10, 25, 40]))


def test_cumulative_of_another_measure_with_no_target_and_nothing_yet() -> None:
    starts = charts.cumulative_chart(
        _cumulative([10, 25, 40]),
        target=None,
        target_label="",
        period_start=START,
        period_end=END,
        measure="starts",
        title="Starts",
    )
    assert (
        "cumulative starts" in starts.alt_text
        and "Latest: 80 by 15 June 2025. No target is shown." in starts.alt_text
    )
    assert "target_trajectory" not in starts.data.columns
    zero = charts.cumulative_chart(
        _cumulative([0, 0, 0]),
        target=50,
        target_label="Target",
        period_start=START,
        period_end=END,
        title="Jobs",
    )
    assert "Latest: 0 by 15 June 2025." in zero.alt_text
    assert "line is at 10, so the latest figure is 10 below it" in zero.alt_text  # 50 * 75 / 364 = 10.3


def test_cumulative_refuses_unknown_measure_and_mismatched_projection() -> None:
    kw = {"target": 10, "target_label": "T", "period_start": START, "period_end": END, "title": "t"}
    with pytest.raises(ValueError, match="unknown measure"):
        charts.cumulative_chart(_cumulative([1]), measure="sustained_13w", **kw)
    other = StandIn("starts", 1, 10, START, END, 2, 1, 3, 1, 4, 0.5)
    with pytest.raises(ValueError, match="projection is of 'starts'"):
        charts.cumulative_chart(_cumulative([1]), projection=other, **kw)


def test_rates_alt_text_data_and_reference_line() -> None:
    chart = charts.rates_chart(_rates(), title="Rates", value_label="Job outcomes as a share of starts")
    alt = chart.alt_text
    assert (
        f"each with its {METHOD}: A 20.0% (13.3% to 28.9%; 20 of 100); C 10.0% (4.2% to 21.4%; 5 of 50)."
        in alt
    )
    assert "Dashed line: All, 16.7%." in alt  # 25 / 150 = 0.1667
    assert alt.endswith("Not shown, having no one in the denominator: B.")
    pd.testing.assert_frame_equal(chart.data, _rates().iloc[[0, 2, 3]].reset_index(drop=True))
    given = charts.rates_chart(_rates(), title="Rates", value_label="Share", overall=0.15)
    assert "Dashed line: All, 15.0%." in given.alt_text
    pd.testing.assert_frame_equal(given.data, _rates().iloc[[0, 2]].reset_index(drop=True))


def test_rates_keep_the_order_given_top_to_bottom() -> None:
    def label_heights(chart: charts.Chart) -> dict[str, float]:
        texts = ET.fromstring(chart.svg).iter(f"{SVG}text")
        return {t.text: float(t.get("y")) for t in texts if t.text in {"A", "C"}}

    forward = label_heights(charts.rates_chart(_rates(), title="R", value_label="Share"))
    backward = label_heights(charts.rates_chart(_rates().iloc[::-1], title="R", value_label="Share"))
    assert forward["A"] < forward["C"] and backward["C"] < backward["A"]  # SVG y grows downwards


def test_rates_from_synthetic_providers_match_independent_counts(rotherham: pd.DataFrame) -> None:
    table = process.funnel_table(rotherham, by="provider")
    chart = charts.rates_chart(
        table[table["stage"] == "job_outcomes"], title="By provider", value_label="Jobs"
    )
    assert chart.name == "rates_provider" and "Dot plot of rates by provider" in chart.alt_text
    for provider, rows in rotherham.groupby("provider"):
        started = rows[rows["start_date"].notna()]
        jobs, starts = int(started["job_evidenced"].astype(bool).sum()), len(started)
        assert f"{provider} {jobs / starts * 100:.1f}% (" in chart.alt_text
        assert f"; {jobs} of {starts})" in chart.alt_text


def test_rates_refuse_repeated_groups() -> None:
    with pytest.raises(ValueError, match="one row per group"):
        charts.rates_chart(pd.concat([_rates(), _rates()]), title="R", value_label="Share")


def test_funnel_refuses_a_grouped_table(rotherham: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="one funnel"):
        charts.funnel_chart(process.funnel_table(rotherham, by="provider"), title="F")


# --- empty inputs -----------------------------------------------------------------------------


def test_empty_inputs_say_there_is_no_data(every_chart: list[charts.Chart]) -> None:
    empty = [c for c in every_chart if c.title in {"Empty funnel", "No rates"} or c.data.empty]
    assert len(empty) == 3
    for chart in empty:
        assert "no data to show" in chart.alt_text
        assert "No data to show yet" in chart.svg
    zeros = charts.funnel_chart(_funnel([("referrals", 0, None), ("starts", 0, 0)]), title="Zeros")
    assert "no data to show yet, as no referrals are recorded" in zeros.alt_text


# --- the SVG ----------------------------------------------------------------------------------


def test_svg_is_valid_xml_with_title_desc_and_aria(every_chart: list[charts.Chart]) -> None:
    for chart in every_chart:
        assert chart.svg.startswith("<svg")  # no XML prolog, so it can be inlined in HTML
        root = ET.fromstring(chart.svg)
        title, desc = list(root)[:2]
        assert (title.tag, desc.tag) == (f"{SVG}title", f"{SVG}desc")
        assert (title.text, desc.text) == (chart.title, chart.alt_text)  # escaped in, unescaped out
        assert root.get("role") == "img"
        assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    assert len({c.svg.split('id="', 1)[1].split('"')[0] for c in every_chart}) == len(every_chart)


def test_text_stays_text_at_a_readable_size(every_chart: list[charts.Chart]) -> None:
    for chart in every_chart:
        sizes = [float(s) for s in re.findall(r"font-size: ([\d.]+)px", chart.svg)]
        assert sizes and min(sizes) >= 12, chart.name
        assert "<text" in chart.svg and '<use xlink:href="#DejaVu' not in chart.svg  # no glyph outlines


def test_same_input_same_svg_whatever_the_callers_settings() -> None:
    frame = _funnel(ROTHERHAM_FUNNEL)
    first = charts.funnel_chart(frame, title="Funnel")
    before = dict(matplotlib.rcParams)
    mine = {"font.size": 30, "ytick.labelsize": 5, "figure.facecolor": "#ff0000", "svg.hashsalt": "mine"}
    with matplotlib.rc_context({**mine, "svg.fonttype": "path"}):
        again = charts.funnel_chart(frame, title="Funnel")
        assert {k: matplotlib.rcParams[k] for k in mine} == mine  # the caller's settings are left alone
    assert again.svg == first.svg
    assert dict(matplotlib.rcParams) == before
    pd.testing.assert_frame_equal(frame, _funnel(ROTHERHAM_FUNNEL))  # input not changed


def test_importing_does_no_work() -> None:
    code = "import sys, evaluation.charts; print([m for m in ('matplotlib', 'afcharts') if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


# --- colours ----------------------------------------------------------------------------------


def test_contrast_formula_matches_known_values() -> None:
    assert _contrast("#000000") == pytest.approx(21)  # WCAG's maximum
    assert _contrast("#767676") == pytest.approx(4.54, abs=0.01)  # the usual lightest AA grey


def test_every_colour_passes_contrast_or_is_decorative(every_chart: list[charts.Chart]) -> None:
    with matplotlib.style.context("afcharts.afcharts"):  # afcharts' own grid, axis and tick grey
        grey = {to_hex(matplotlib.rcParams[k]) for k in ("grid.color", "axes.edgecolor", "xtick.color")}
    bands = {charts.palette().band80.lower(), charts.palette().band95.lower()}
    analysis_function = {c.lower() for c in get_af_colours("categorical") + get_af_colours("sequential")}
    for chart in every_chart:
        for tag, prop, colour in _colours(chart.svg):
            if tag == "text":
                assert _contrast(colour) >= 4.5, (chart.name, colour)  # text: WCAG 1.4.3
            elif colour in grey or (colour == "#ffffff" and prop == "fill"):
                continue  # gridlines, axis, ticks and background: decorative
            elif colour in bands:
                assert prop == "fill", (chart.name, colour)  # pale bands are areas, never lines
            else:
                assert _contrast(colour) >= 3, (chart.name, colour)  # graphics: WCAG 1.4.11
                assert colour in analysis_function, (chart.name, colour)


def test_palette_comes_from_afcharts_and_roles_differ() -> None:
    p = charts.palette()
    af = get_af_colours("categorical") + get_af_colours("sequential")
    assert {p.data, p.target, p.projection, p.reference, p.band80, p.band95} <= set(af)
    assert len({p.data, p.target, p.projection, p.reference}) == 4
    for colour in (p.data, p.target, p.projection, p.reference):
        assert _contrast(colour) >= 3


def test_series_differ_by_more_than_colour(every_chart: list[charts.Chart]) -> None:
    cumulative = next(
        c for c in every_chart if c.name == "cumulative_job_outcomes" and "Projection" in c.alt_text
    )
    styles = re.findall(r'style="([^"]*stroke-dasharray[^"]*)"', cumulative.svg)
    assert (
        len({re.search(r"stroke-dasharray: ([^;]+)", s).group(1) for s in styles}) >= 2
    )  # dashed and dotted
    for label in (
        "Evidenced job outcomes, to date",
        "Target",
        "Projection, central estimate",
        "Projection, 80% range",
    ):
        assert f">{label}<" in cumulative.svg  # legend entries as text

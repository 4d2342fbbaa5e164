"""Charts of the area-level baseline: observed against do-nothing, the event study, the synthetic
control gap among its placebos.

In: the tables of ``analyses.baseline`` (``trend_path``, ``event_study``,
``synthetic_control_gaps``). Out: ``charts.Chart`` objects drawn in the same style, with alt text
written from the plotted numbers and the rows plotted. Survey figures are estimates for whole
areas (thousands of people), not counts of participants, so no disclosure rule applies to them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from evaluation.charts import Chart, _count, _date, _render, _require, palette

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _signed(x: float) -> str:
    return f"{x:+,.0f}"


def _years(ax: Axes) -> None:
    """Year ticks every two years: a quarterly series over a decade otherwise crowds the axis."""
    from matplotlib.dates import DateFormatter, YearLocator

    ax.xaxis.set_major_locator(YearLocator(2))
    ax.xaxis.set_major_formatter(DateFormatter("%Y"))


def _start_line(ax: Axes, start: dt.date, colour: str) -> None:
    ax.axvline(start, color=colour, linestyle=":", linewidth=1.5)
    where = {"xycoords": ("data", "axes fraction"), "xytext": (3, -3), "textcoords": "offset points"}
    ax.annotate("Programme starts", (start, 1), ha="left", va="top", fontsize=8, **where)


def observed_vs_baseline_chart(
    path: pd.DataFrame, *, programme_start: dt.date, area: str, title: str
) -> Chart:
    """Observed inactive residents by survey period against the trend's do-nothing path and its band.

    ``path`` is ``metrics.baseline_paths.trend_path``: the band, after the start, is where the
    observed count would fall with no effect.
    """
    _require(path, {"period_end", "observed", "baseline", "lower", "upper", "post"}, "trend path")
    data = path.reset_index(drop=True)
    ends = [pd.Timestamp(e).date() for e in data["period_end"]]
    post = data[data["post"].astype(bool)]
    last = data.iloc[-1]
    gap = float(last["baseline"] - last["observed"])
    if last["observed"] < last["lower"]:
        where = "below the band: fewer people inactive than do-nothing, beyond what chance explains"
    elif last["observed"] > last["upper"]:
        where = "above the band: more people inactive than do-nothing, beyond what chance explains"
    else:
        where = "inside the band, so it cannot be told apart from do-nothing"
    alt = (
        f"Line chart of economically inactive residents aged 16 to 64 in {area}, 12-month survey periods ending "
        f"{_date(ends[0])} to {_date(ends[-1])}, with the pre-programme trend projected as the do-nothing baseline "
        f"from {_date(programme_start)}. Latest period: observed {_count(last['observed'])}, do-nothing "
        f"{_count(last['baseline'])} (band {_count(last['lower'])} to {_count(last['upper'])}), a gap of "
        f"{_signed(gap)} people; the observed figure is {where}. "
        + "Observed by period after the start: "
        + "; ".join(
            f"{_date(pd.Timestamp(r.period_end).date())} {_count(r.observed)} against {_count(r.baseline)}"
            for r in post.itertuples(index=False)
        )
        + "."
    )
    colours = palette()

    def draw(ax: Axes) -> None:
        from matplotlib.ticker import FuncFormatter

        post_ends = [pd.Timestamp(e).date() for e in post["period_end"]]
        ax.fill_between(
            post_ends,
            post["lower"],
            post["upper"],
            color=colours.band95,
            linewidth=0,
            label="Band with no effect (95%)",
        )
        ax.plot(
            ends,
            data["baseline"],
            color=colours.projection,
            linestyle="--",
            linewidth=2,
            label="Do-nothing (trend)",
        )
        ax.plot(
            ends, data["observed"], color=colours.data, marker="o", markersize=3, label="Observed (survey)"
        )
        _start_line(ax, programme_start, colours.reference)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        _years(ax)
        ax.set_ylabel("Inactive residents")
        ax.figure.legend(loc="outside upper left", fontsize=8)

    return _render("observed_vs_baseline", title, alt, data, 3.6, draw)


def event_study_chart(table: pd.DataFrame, *, title: str) -> Chart:
    """Leads and lags of the programme areas' inactivity rate against the comparison areas, with intervals."""
    _require(table, {"rel_time", "estimate", "lower", "upper"}, "event study")
    data = table.sort_values("rel_time").reset_index(drop=True)
    leads, lags = data[data["rel_time"] < 0], data[data["rel_time"] >= 0]
    off = leads[(leads["lower"] > 0) | (leads["upper"] < 0)]
    alt = (
        f"Dot plot of the difference in the inactivity rate between the programme areas and the comparison areas, "
        f"in percentage points, by quarter relative to the last survey period before the programme (reference, zero): "
        f"{len(leads)} leads and {len(lags)} lags, each with its 95% interval. "
        + (
            "Every lead's interval includes zero, as parallel pre-programme trends imply. "
            if off.empty
            else f"Leads whose interval excludes zero: {', '.join(str(int(t)) for t in off['rel_time'])}. "
        )
        + "After the start: "
        + "; ".join(
            f"quarter {int(r.rel_time)} {r.estimate:+.2f} ({r.lower:+.2f} to {r.upper:+.2f})"
            for r in lags.itertuples(index=False)
        )
        + ". The earliest lead bins every earlier quarter."
    )
    colours = palette()

    def draw(ax: Axes) -> None:
        x = data["rel_time"].to_numpy()
        est = data["estimate"].to_numpy()
        err = [est - data["lower"].to_numpy(), data["upper"].to_numpy() - est]
        ax.errorbar(x, est, yerr=err, fmt="o", color=colours.data, capsize=3, elinewidth=1.5, markersize=5)
        ax.scatter([-1], [0], marker="D", color=colours.reference, zorder=3, label="Reference quarter (-1)")
        ax.axhline(0, color=colours.reference, linewidth=1)
        ax.axvline(-0.5, color=colours.reference, linestyle=":", linewidth=1.5)
        ax.set_xticks(sorted({*x.tolist(), -1}))
        ax.set_xlabel("Quarters relative to the programme start")
        ax.set_ylabel("Difference (points)")
        ax.figure.legend(loc="outside upper left", fontsize=8)

    return _render("event_study", title, alt, data, 3.2, draw)


def synthetic_control_gap_chart(gaps: pd.DataFrame, *, programme_start: dt.date, title: str) -> Chart:
    """The programme unit's gap (synthetic less actual rate) over time among the placebo areas' gaps."""
    _require(
        gaps, {"period_end", "unit", "area_name", "role", "gap_points", "post"}, "synthetic control gaps"
    )
    data = gaps.reset_index(drop=True)
    programme = data[data["role"] == "programme"]
    placebos = data[data["role"] == "placebo"]
    latest = programme.iloc[-1]
    last_end = latest["period_end"]
    others = placebos[placebos["period_end"] == last_end]["gap_points"].abs()
    larger = int((others >= abs(latest["gap_points"])).sum())
    alt = (
        f"Line chart of the gap between the synthetic control and {latest['area_name']} in the inactivity rate "
        f"(synthetic less actual, percentage points; above zero means fewer people inactive than the synthetic "
        f"control), by survey period, with the same gap for each of {placebos['unit'].nunique()} comparison areas "
        f"treated as if they had the programme. Latest period ({_date(pd.Timestamp(last_end).date())}): "
        f"{latest['gap_points']:+.2f} points; {larger} of the {len(others)} placebo gaps are as large or larger "
        "in size."
    )
    colours = palette()

    def draw(ax: Axes) -> None:
        for i, (_, g) in enumerate(placebos.groupby("unit", sort=True)):
            ends = [pd.Timestamp(e).date() for e in g["period_end"]]
            label = "Comparison areas as placebos" if i == 0 else None
            ax.plot(ends, g["gap_points"], color=colours.band80, linewidth=1, label=label)
        ends = [pd.Timestamp(e).date() for e in programme["period_end"]]
        ax.plot(ends, programme["gap_points"], color=colours.data, linewidth=2.5, label="Programme area")
        ax.axhline(0, color=colours.reference, linewidth=1)
        _start_line(ax, programme_start, colours.reference)
        _years(ax)
        ax.set_ylabel("Gap (points)")
        ax.figure.legend(loc="outside upper left", fontsize=8)

    return _render("synthetic_control_gaps", title, alt, data, 3.4, draw)

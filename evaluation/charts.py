"""Charts: result tables in; accessible SVG, alt text and the table behind the chart out.

In: the tidy tables of ``evaluation.metrics.process`` (``funnel_table``, ``cumulative_by_month``)
and optionally a projection. Out: a frozen ``Chart``: SVG that is deterministic, keeps text as text
and carries ``<title>``, ``<desc>`` and ``role="img"``; alt text written from the numbers plotted;
and the rows plotted, to print beside the chart. The title is not drawn (documents print it as
the caption). Style and colours are afcharts' (the Analysis Function's style sheet and palettes).
Colours for data, lines and text have at least 3:1 contrast with white; afcharts' light grey grid
and axes and the pale projection bands are decorative, as every value they help to read is also
labelled, in the alt text and in the table. Series differ by line style and marker, not colour
alone. Figures get their own Agg canvas (no pyplot, no ``matplotlib.use``) inside a style context
reset to matplotlib's defaults, so callers' settings neither leak in nor change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Protocol
from xml.sax.saxutils import escape

import pandas as pd

from evaluation.metrics.process import STAGE_LABELS, STAGES

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "Chart",
    "cumulative_chart",
    "funnel_chart",
    "love_plot",
    "palette",
    "rates_chart",
    "target_trajectory",
]

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # fmt: skip
WIDTH = 6.5  # inches: fits an A4 text block; fixed, so the SVG size never depends on the data
DPI = 72  # SVG user units are points; 72 keeps one unit to one point
MEASURES = ("referrals", "starts", "job_outcomes")  # what cumulative_by_month counts
NOUNS = {
    "referrals": "referrals",
    "starts": "starts",
    "job_outcomes": "evidenced job outcomes",
    "sustained_13w": "jobs sustained for 13 weeks",
    "sustained_26w": "jobs sustained for 26 weeks",
}
OF = {  # the denominator of each stage's rate: {n} is filled from the row
    "starts": ("of referrals", "of referrals"),
    "job_outcomes": ("of starts", "of starts"),
    "sustained_13w": ("of {n} jobs past 13 weeks", "of the {n} evidenced jobs whose 13 weeks have passed"),
    "sustained_26w": ("of {n} jobs past 26 weeks", "of the {n} evidenced jobs whose 26 weeks have passed"),
}
BANDS = (("95%", "low95", "high95"), ("80%", "low80", "high80"))  # widest first, so it sits below
Draw = Callable[["Axes"], None]


@dataclass(frozen=True, eq=False)
class Chart:
    """One chart: SVG text, alt text from the plotted numbers, and the table behind it."""

    name: str
    title: str
    svg: str
    alt_text: str
    data: pd.DataFrame


class ProjectionLike(Protocol):
    """What the cumulative chart reads from ``evaluation.metrics.projection.Projection``."""

    @property
    def measure(self) -> str: ...
    @property
    def observed(self) -> float: ...
    @property
    def data_cutoff(self) -> dt.date: ...
    @property
    def period_end(self) -> dt.date: ...
    @property
    def central(self) -> float: ...
    @property
    def low80(self) -> float: ...
    @property
    def high80(self) -> float: ...
    @property
    def low95(self) -> float: ...
    @property
    def high95(self) -> float: ...
    @property
    def probability_reaching_target(self) -> float | None: ...


@dataclass(frozen=True)
class Palette:
    """Colours by role, all from the Analysis Function palettes; fills are decorative."""

    data: str  # bars, observed line, points: categorical 1 (dark blue)
    target: str  # target trajectory: categorical 2 (turquoise)
    projection: str  # projection central line: sequential 3 (mid blue, same hue family as data)
    reference: str  # overall-rate reference line: categorical 5 (dark grey)
    band80: str  # fill of the 80% projection range: sequential 4
    band95: str  # fill of the 95% projection range: sequential 5 (lightest)


@cache
def palette() -> Palette:
    """The chart colours, read from afcharts (once, on first use; never at import)."""
    from afcharts.af_colours import get_af_colours

    cat = get_af_colours("categorical")
    seq = get_af_colours("sequential", number_of_colours=5)
    return Palette(
        data=cat[0], target=cat[1], projection=seq[2], reference=cat[4], band80=seq[3], band95=seq[4]
    )


def target_trajectory(day: dt.date, *, target: float, period_start: dt.date, period_end: dt.date) -> float:
    """The straight-line target path: zero at period_start, ``target`` at period_end, linear in days."""
    return target * (day - period_start).days / (period_end - period_start).days


def _count(x: float) -> str:
    return f"{round(x):,}"


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _date(d: dt.date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def _month(d: dt.date) -> str:
    return f"{MONTHS[d.month - 1]} {d.year}"


def _pct_tick(v: float, _pos: object = None) -> str:
    """Axis ticks as percentages: whole numbers unless the step is finer; none past 100%."""
    return "" if v > 1 + 1e-9 else f"{v * 100:.{0 if abs(v * 100 - round(v * 100)) < 1e-9 else 1}f}%"


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _zero(v: object) -> bool:
    """Whether a denominator is known to be zero (a missing one is withheld, not zero)."""
    return not _missing(v) and v == 0


def _require(frame: pd.DataFrame, columns: set[str], what: str) -> None:
    missing = sorted(columns - set(frame.columns))
    if missing:
        raise ValueError(f"{what} table lacks column(s) {', '.join(missing)}; has {', '.join(frame.columns)}")


@contextmanager
def _style(chart_id: str) -> Iterator[None]:
    """afcharts' style on matplotlib defaults, with deterministic, text-as-text SVG; restored after."""
    import matplotlib.style

    rc = {"svg.fonttype": "none", "svg.hashsalt": chart_id, "svg.id": chart_id, "figure.dpi": DPI}
    with matplotlib.style.context(["afcharts.afcharts", rc], after_reset=True):
        yield


def _render(name: str, title: str, alt: str, data: pd.DataFrame, height: float, draw: Draw) -> Chart:
    """Draw on a fresh Agg-backed figure and return its SVG, with <title>, <desc> and ARIA added.

    The XML prolog is dropped so the SVG can be inlined in HTML. The id (also the hash salt for
    matplotlib's internal ids) comes from the title and alt text, so two charts in one document
    never share ids, and the same chart always gets the same bytes.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    chart_id = f"chart-{name}-{hashlib.sha256((title + alt).encode()).hexdigest()[:10]}"
    with _style(chart_id):
        fig = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        draw(fig.add_subplot())
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()[buf.getvalue().index("<svg") :]
    head = f'<title id="{chart_id}-title">{escape(title)}</title>\n <desc id="{chart_id}-desc">{escape(alt)}</desc>'
    aria = f' role="img" aria-labelledby="{chart_id}-title {chart_id}-desc"'
    svg = re.sub(r"<svg\b([^>]*)>", lambda m: f"<svg{m.group(1)}{aria}>\n {head}", svg, count=1)
    return Chart(name=name, title=title, svg=svg, alt_text=alt, data=data.reset_index(drop=True))


def _no_data(ax: Axes) -> None:
    """What an empty chart shows: a sentence, not an empty axis."""
    ax.axis("off")
    ax.text(0.5, 0.5, "No data to show yet", ha="center", va="center", transform=ax.transAxes)


def funnel_chart(funnel: pd.DataFrame, *, title: str, data_cutoff: dt.date | None = None) -> Chart:
    """Horizontal bars of each stage's count, labelled with counts and conversion percentages.

    ``funnel`` is ``funnel_table(participants)`` for one run (no grouping). Referrals, starts and
    job outcomes are always drawn; a sustained stage only once some job is old enough to judge
    (n > 0). Rows whose count is withheld (missing) are not drawn. The alt text names what is left out.
    """
    _require(funnel, {"stage", "k", "n", "rate"}, "funnel")
    if "group" in funnel.columns and funnel["group"].nunique() > 1:
        raise ValueError("funnel_chart draws one funnel; pass funnel_table(...) without `by`")
    unknown = sorted(set(funnel["stage"]) - set(STAGES))
    if unknown:
        raise ValueError(f"unknown funnel stage(s) {', '.join(unknown)}; expected {', '.join(STAGES)}")
    rows = funnel.assign(_order=funnel["stage"].map(STAGES.index)).sort_values("_order", kind="stable")
    rows = rows.drop(columns="_order")
    drawn = rows["k"].notna() & (rows["stage"].isin(MEASURES) | rows["rate"].notna())
    shown, left_out = rows[drawn].reset_index(drop=True), rows[~drawn]
    when = f" to {_date(data_cutoff)}" if data_cutoff else ""
    if shown.empty or int(shown["k"].max()) == 0:
        alt = f"Bar chart of the programme funnel{when}: no data to show yet, as no referrals are recorded."
        return _render("funnel", title, alt, shown, 1.5, _no_data)

    labels, parts = [], []
    for r in shown.itertuples(index=False):
        k, stage = int(r.k), str(r.stage)
        if stage not in OF:
            labels.append(STAGE_LABELS[stage])
            parts.append(f"{_count(k)} {NOUNS[stage]}")
        elif _missing(r.rate):
            before = NOUNS[STAGES[STAGES.index(stage) - 1]]
            why = f"no rate, as there are no {before}" if _zero(r.n) else "rate withheld"
            labels.append(f"{STAGE_LABELS[stage]}\n{'no rate yet' if _zero(r.n) else why}")
            parts.append(f"{_count(k)} {NOUNS[stage]} ({why})")
        else:
            short, long = (s.format(n=_count(int(r.n))) for s in OF[stage])
            labels.append(f"{STAGE_LABELS[stage]}\n{_pct(r.rate)} {short}")
            parts.append(f"{_count(k)} {NOUNS[stage]} ({_pct(r.rate)} {long})")
    alt = f"Bar chart of the programme funnel{when}: " + "; ".join(parts) + "."
    young = [NOUNS[s] for s, n in zip(left_out["stage"], left_out["n"], strict=True) if _zero(n)]
    withheld = [NOUNS[s] for s, n in zip(left_out["stage"], left_out["n"], strict=True) if not _zero(n)]
    if young:
        alt += f" Not shown, as no evidenced job is old enough to judge yet: {', '.join(young)}."
    if withheld:
        alt += f" Not shown, as the figures are withheld: {', '.join(withheld)}."

    counts = shown["k"].astype(int).tolist()

    def draw(ax: Axes) -> None:
        y = list(range(len(shown)))
        ax.barh(y, counts, color=palette().data, height=0.6)
        top = max(counts)
        for yi, k in zip(y, counts, strict=True):
            ax.text(k + top * 0.01, yi, _count(k), va="center", ha="left")
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, top * 1.12)
        ax.set_xticks([])
        ax.grid(False)
        ax.tick_params(axis="y", length=0)
        ax.spines["bottom"].set_visible(False)

    return _render("funnel", title, alt, shown, 0.6 + 0.8 * len(shown), draw)


def cumulative_chart(
    cumulative: pd.DataFrame,
    *,
    target: int | None,
    target_label: str,
    period_start: dt.date,
    period_end: dt.date,
    projection: ProjectionLike | None = None,
    measure: str = "job_outcomes",
    title: str,
) -> Chart:
    """The cumulative measure by month against a straight-line target, with any projection's ranges.

    ``cumulative`` is ``cumulative_by_month(...)``. The table returned is its rows plus, when there
    is a target, ``target_trajectory``: the target line's value at each month end.
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; expected one of {', '.join(MEASURES)}")
    if projection is not None and projection.measure != measure:
        raise ValueError(f"projection is of {projection.measure!r} but the chart is of {measure!r}")
    _require(cumulative, {"month", "month_end", measure}, "cumulative")
    noun, name = NOUNS[measure], f"cumulative_{measure}"
    data = cumulative.reset_index(drop=True)
    if data.empty:
        alt = f"Line chart of cumulative {noun}: no data to show yet, as no months are recorded."
        return _render(name, title, alt, data, 1.5, _no_data)
    ends = [d.date() for d in pd.to_datetime(data["month_end"])]
    values = data[measure].astype(int).tolist()
    latest, cutoff = values[-1], ends[-1]
    if target is not None:
        path = [
            target_trajectory(d, target=target, period_start=period_start, period_end=period_end)
            for d in ends
        ]
        data = data.assign(target_trajectory=path)  # a new frame: the caller's is never changed

    alt = (
        f"Line chart of cumulative {noun} at the end of each month, {_month(ends[0])} to {_date(cutoff)}. "
        f"Latest: {_count(latest)} by {_date(cutoff)}."
    )
    if target is None:
        alt += " No target is shown."
    else:
        on_line = round(data["target_trajectory"].iloc[-1])
        gap = latest - on_line
        where = "on it" if gap == 0 else f"{_count(abs(gap))} {'above' if gap > 0 else 'below'} it"
        alt += (
            f" {target_label}: {_count(target)} by {_date(period_end)}, drawn as a straight line from zero "
            f"on {_date(period_start)}; at {_date(cutoff)} that line is at {_count(on_line)}, "
            f"so the latest figure is {where}."
        )
    if projection is not None:
        ranges = "; ".join(
            f"{level} range {_count(getattr(projection, lo))} to {_count(getattr(projection, hi))}"
            for level, lo, hi in reversed(BANDS)
        )
        alt += (
            f" Projection to {_date(projection.period_end)}: central estimate "
            f"{_count(projection.central)}; {ranges}"
        )
        chance = projection.probability_reaching_target
        reaching = not _missing(chance) and target is not None
        alt += f"; chance of reaching the target {_pct(chance)}." if reaching else "."
    months = [
        f"{_month(d)}{'' if (d + dt.timedelta(days=1)).day == 1 else f' (to {_date(d)})'}, {_count(v)}"
        for d, v in zip(ends, values, strict=True)
    ]
    alt += " End-of-month totals: " + "; ".join(months) + "."

    colours = palette()

    def draw(ax: Axes) -> None:
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        highest = [max(values), 1]
        if projection is not None:
            anchor_x, anchor_y = projection.data_cutoff, projection.observed
            fills = {"80%": colours.band80, "95%": colours.band95}
            xs = [anchor_x, projection.period_end]
            for level, lo, hi in BANDS:
                low, high = getattr(projection, lo), getattr(projection, hi)
                band = {"color": fills[level], "linewidth": 0, "label": f"Projection, {level} range"}
                ax.fill_between(xs, [anchor_y, low], [anchor_y, high], **band)
                highest.append(high)
            central = {"color": colours.projection, "linestyle": ":", "linewidth": 2.5}
            ax.plot(xs, [anchor_y, projection.central], **central, label="Projection, central estimate")
        offset = {"textcoords": "offset points"}
        if target is not None:
            line = {"color": colours.target, "linestyle": "--", "label": target_label}
            ax.plot([period_start, period_end], [0, target], **line)
            ax.annotate(_count(target), (period_end, target), xytext=(4, 0), va="center", **offset)
            highest.append(target)
        observed = {"color": colours.data, "marker": "o", "markersize": 5}
        ax.plot(ends, values, **observed, label=f"{STAGE_LABELS[measure]}, to date")
        ax.annotate(_count(latest), (cutoff, latest), xytext=(-6, 6), ha="right", **offset)

        span = (period_end - period_start).days
        step = 3 if span <= 460 else 6 if span <= 920 else 12  # months between x ticks
        first = pd.Timestamp(period_start).to_period("M")
        ticks = [(first + i).to_timestamp().date() for i in range(0, 400, step)]
        ticks = [t for t in ticks if t <= period_end]
        ax.set_xticks(
            ticks, [_month(t).replace(" ", "\n") for t in ticks]
        )  # two lines, so they never collide
        ax.set_xlim(period_start, period_end + (period_end - period_start) * 0.08)
        ax.set_ylim(0, max(highest) * 1.12)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        ax.set_ylabel("Cumulative number")
        handles, labels = ax.get_legend_handles_labels()  # observed first (drawn last); above the plot
        ax.figure.legend(handles[::-1], labels[::-1], loc="outside upper left")

    series = 1 + (target is not None) + 3 * (projection is not None)
    return _render(name, title, alt, data, 4.2 + 0.3 * series, draw)


def rates_chart(table: pd.DataFrame, *, title: str, value_label: str, overall: float | None = None) -> Chart:
    """Each group's rate as a point with its interval, groups down the page in the order given.

    ``table`` has one row per group with rate, lower and upper (k, n and method used when present),
    e.g. the job_outcomes rows of ``funnel_table(participants, by="provider")``. A row named
    "All", or ``overall`` (which wins), is drawn as a labelled dashed reference line. Groups with
    no rate (n = 0, or withheld) are not drawn; the alt text names them.
    """
    _require(table, {"group", "rate", "lower", "upper"}, "rates")
    if table["group"].duplicated().any():
        raise ValueError("rates table must have one row per group; filter it to one stage first")
    is_all = table["group"].astype(str) == "All"
    all_row = table[is_all & table["rate"].notna()]
    reference = overall if overall is not None else (float(all_row["rate"].iloc[0]) if len(all_row) else None)
    groups = table[~is_all]
    shown, left_out = groups[groups["rate"].notna()], groups[groups["rate"].isna()]
    drawn = table["rate"].notna() & (~is_all if overall is not None else True)
    data = table[drawn].reset_index(drop=True)
    grouping = str(table["grouping"].iloc[0]) if "grouping" in table.columns and len(table) else None
    by, name = (f"by {grouping}", f"rates_{grouping}") if grouping else ("by group", "rates")
    if shown.empty:
        alt = f"Dot plot of rates {by} ({value_label}): no data to show yet, as no group has a rate."
        return _render(name, title, alt, data, 1.5, _no_data)

    methods = table["method"].dropna().unique().tolist() if "method" in table.columns else []
    interval = f"its {'; '.join(methods)}" if methods else "its interval"

    def counts(r: object) -> str:
        k, n = getattr(r, "k", None), getattr(r, "n", None)
        return "" if _missing(k) or _missing(n) else f"; {_count(k)} of {_count(n)}"

    parts = [
        f"{r.group} {_pct(r.rate)} ({_pct(r.lower)} to {_pct(r.upper)}{counts(r)})"
        for r in shown.itertuples(index=False)
    ]
    alt = f"Dot plot of rates {by} ({value_label}), each with {interval}: " + "; ".join(parts) + "."
    if reference is not None:
        alt += f" Dashed line: All, {_pct(reference)}."
    ns = left_out["n"] if "n" in left_out.columns else pd.Series(None, index=left_out.index, dtype=object)
    empty = [str(g) for g, n in zip(left_out["group"], ns, strict=True) if _zero(n)]
    withheld = [str(g) for g, n in zip(left_out["group"], ns, strict=True) if not _zero(n)]
    if empty:
        alt += f" Not shown, having no one in the denominator: {', '.join(empty)}."
    if withheld:
        alt += f" Not shown, as their rates are withheld or unavailable: {', '.join(withheld)}."

    colours = palette()
    rate, lower, upper = (shown[c].astype(float).to_numpy() for c in ("rate", "lower", "upper"))

    def draw(ax: Axes) -> None:
        from matplotlib.ticker import FuncFormatter

        y = list(range(len(shown)))
        points = {"fmt": "o", "color": colours.data, "elinewidth": 2, "capsize": 4, "markersize": 7}
        ax.errorbar(rate, y, xerr=[rate - lower, upper - rate], **points)
        right = max([*upper, reference or 0.0, 0.05])
        for yi, r, u in zip(y, rate, upper, strict=True):
            ax.text(u + right * 0.02, yi, _pct(r), va="center", ha="left")
        if reference is not None:
            ax.axvline(reference, color=colours.reference, linestyle="--", linewidth=1.5)
            where = {"xycoords": ("data", "axes fraction"), "xytext": (0, 4), "textcoords": "offset points"}
            ax.annotate(f"All: {_pct(reference)}", (reference, 1), ha="center", va="bottom", **where)
        ax.set_yticks(y, [str(g) for g in shown["group"]])
        ax.set_ylim(len(shown) - 0.5, -0.5)  # first group at the top
        ax.set_xlim(0, right * 1.22)
        ax.xaxis.set_major_formatter(FuncFormatter(_pct_tick))
        ax.grid(False)
        ax.xaxis.grid(True)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(value_label)

    return _render(name, title, alt, data, max(2.6, 1.2 + 0.5 * len(shown)), draw)


def love_plot(balance: pd.DataFrame, *, title: str, threshold: float = 0.1) -> Chart:
    """Standardised mean differences before and after adjustment, one row per characteristic (a Love plot).

    ``balance`` has covariate, level, smd_before and smd_after. Absolute differences are drawn,
    with the balance threshold as a dashed line; the alt text names those above it after adjustment.
    """
    _require(balance, {"covariate", "smd_before", "smd_after"}, "balance")
    data = balance.assign(
        label=[
            f"{c}: {lv}" if isinstance(lv, str) and lv else str(c)
            for c, lv in zip(balance["covariate"], balance.get("level", [""] * len(balance)), strict=True)
        ],
        before=balance["smd_before"].abs(),
        after=balance["smd_after"].abs(),
    ).sort_values("before", ascending=False, kind="stable")
    failing = data[data["after"] >= threshold]["label"].tolist()
    alt = (
        f"Dot plot of the absolute standardised mean difference of {len(data)} characteristics between participants and the "
        f"comparison group, before and after adjustment, against a threshold of {threshold}. Largest before: "
        f"{data['label'].iloc[0]} at {data['before'].iloc[0]:.2f}. Largest after: {data['after'].max():.2f}. "
        + (
            f"Above the threshold after adjustment: {', '.join(failing)}."
            if failing
            else "After adjustment every characteristic is below the threshold."
        )
    )
    colours = palette()

    def draw(ax: Axes) -> None:
        y = list(range(len(data)))
        ax.scatter(
            data["before"],
            y,
            marker="o",
            facecolors="none",
            edgecolors=colours.reference,
            label="Before adjustment",
        )
        ax.scatter(data["after"], y, marker="s", color=colours.data, label="After adjustment")
        ax.axvline(
            threshold, color=colours.target, linestyle="--", linewidth=1.5, label=f"Threshold {threshold}"
        )
        ax.set_yticks(y, data["label"].tolist(), fontsize=7)
        ax.set_ylim(len(data) - 0.5, -0.5)
        ax.set_xlabel("Absolute standardised mean difference")
        ax.legend(loc="lower right", fontsize=8)

    return _render(
        "love_plot", title, alt, data[["label", "before", "after"]], max(3.0, 0.18 * len(data) + 1.2), draw
    )


def overlap_chart(density: pd.DataFrame, quartiles: pd.DataFrame, *, title: str) -> Chart:
    """Smoothed densities of the logit propensity score for participants and the comparison pool."""
    _require(density, {"logit_score", "participants", "comparison"}, "overlap")
    q = quartiles.set_index("group")
    alt = (
        "Line chart of the smoothed distribution of the estimated propensity to take part (logit scale) for participants "
        "and for the comparison pool. Middle half of participants: "
        f"{q.loc['participants', 'q25']:.2f} to {q.loc['participants', 'q75']:.2f}; of the comparison pool: "
        f"{q.loc['comparison', 'q25']:.2f} to {q.loc['comparison', 'q75']:.2f}. Where the two curves overlap, "
        "participants have comparable non-participants."
    )
    colours = palette()

    def draw(ax: Axes) -> None:
        ax.plot(
            density["logit_score"],
            density["participants"],
            color=colours.data,
            linewidth=2,
            label="Participants",
        )
        ax.plot(
            density["logit_score"],
            density["comparison"],
            color=colours.reference,
            linewidth=2,
            linestyle="--",
            label="Comparison pool",
        )
        ax.set_xlabel("Estimated propensity to take part (logit)")
        ax.set_ylabel("Density")
        ax.legend(loc="upper left")

    return _render("overlap", title, alt, density, 3.2, draw)

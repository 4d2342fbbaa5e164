"""Tables for documents: results tables passed through disclosure control, then formatted.

Each builder takes a results table, sends it through ``disclosure.protect`` (the one door) and
returns a presentation table (caption, headers, rows of text cells) for the templates, with the
protection log. Templates receive only these: they never see an unprotected number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from evaluation.disclosure import ProtectedTable, protect
from evaluation.documents import formatting
from evaluation.params import Disclosure
from evaluation.published import protect_table


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool = False


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    total: bool = False


@dataclass(frozen=True)
class Header:
    text: str
    numeric: bool = False


@dataclass(frozen=True)
class PresentedTable:
    """What a template shows: built only from a ``ProtectedTable``."""

    name: str
    caption: str
    headers: tuple[Header, ...]
    rows: tuple[Row, ...]
    note: str = ""
    log: pd.DataFrame = field(default_factory=pd.DataFrame)


def _text(value: object, kind: str) -> str:
    if isinstance(value, str) and value.startswith("["):
        return value
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return "[x]"
    if kind == "count":
        return formatting.count(float(value))
    if kind == "money":
        return formatting.money(float(value))
    if kind == "percent":
        return formatting.percent(float(value))
    if kind == "ratio":
        return f"{float(value):.2f}"
    return str(value)


def _interval(lower: object, upper: object) -> str:
    if any(isinstance(v, str) for v in (lower, upper)):
        return "[c]"
    if lower is None or upper is None or pd.isna(lower) or pd.isna(upper):
        return "[x]"
    return f"{formatting.percent(float(lower))} to {formatting.percent(float(upper))}"


def present(
    protected: ProtectedTable,
    *,
    caption: str,
    columns: list[tuple[str, str, str]],
    note: str = "",
    total: dict[str, object] | None = None,
) -> PresentedTable:
    """Format a protected table. ``columns``: (column, header, kind); kind 'interval' reads
    ``lower`` and ``upper``. ``total``: an optional last row (column -> value, already protected)."""
    if not isinstance(protected, ProtectedTable):
        raise TypeError("documents accept only tables that have passed disclosure control")
    numeric = {"count", "money", "percent", "interval"}
    headers = tuple(Header(h, kind in numeric) for _, h, kind in columns)
    rows = []
    for _, r in protected.frame.iterrows():
        cells = []
        for col, _, kind in columns:
            text = _interval(r["lower"], r["upper"]) if kind == "interval" else _text(r[col], kind)
            cells.append(Cell(text, kind in numeric))
        rows.append(Row(tuple(cells)))
    if total:
        rows.append(
            Row(
                tuple(
                    Cell(_text(total.get(col, ""), kind) if col in total else "", kind in numeric)
                    for col, _, kind in columns
                ),
                total=True,
            )
        )
    return PresentedTable(protected.name, caption, headers, tuple(rows), note, protected.log)


def budget_table(lines: pd.DataFrame, *, financial_year: str, rule: Disclosure) -> PresentedTable:
    """The paper's budget table: heading, line, amount, with the total of the lines."""
    protected = protect(lines[["strand", "category", "budgeted"]], name="budget", counts=(), rule=rule)
    return present(
        protected,
        caption=f"Budget {financial_year}",
        columns=[
            ("strand", "Heading", "text"),
            ("category", "Cost", "text"),
            ("budgeted", f"Budget {financial_year}", "money"),
        ],
        total={"strand": "Total", "budgeted": float(lines["budgeted"].sum())},
    )


def league_presented(league: pd.DataFrame, *, rule: Disclosure, region: str) -> PresentedTable:
    protected = protect_table("league_start_to_job", league, rule)
    return present(
        protected,
        caption=f"Start to job outcome rate by council, {region}",
        columns=[
            ("group", "Council", "text"),
            ("n", "Starts", "count"),
            ("k", "Evidenced job outcomes", "count"),
            ("rate", "Rate", "percent"),
            ("lower", "95% interval", "interval"),
            ("differs_from", "Statistically different from", "text"),
        ],
        note="Councils are listed by their rate, but only differences marked as statistically different can be told apart from chance (pairwise tests, Holm correction).",
    )


def funnel_presented(funnel: pd.DataFrame, *, rule: Disclosure, caption: str) -> PresentedTable:
    labels = {
        "referrals": "Referrals",
        "starts": "Starts",
        "job_outcomes": "Evidenced job outcomes",
        "sustained_13w": "Sustained 13 weeks",
        "sustained_26w": "Sustained 26 weeks",
    }
    f = funnel.assign(label=funnel["stage"].map(labels))
    protected = protect_table("funnel", f, rule)
    return present(
        protected,
        caption=caption,
        columns=[
            ("label", "Stage", "text"),
            ("k", "Number", "count"),
            ("rate", "Conversion", "percent"),
            ("lower", "95% interval", "interval"),
            ("definition", "Definition", "text"),
        ],
    )


def groups_presented(
    table: pd.DataFrame, *, stage: str, rule: Disclosure, caption: str, group_header: str
) -> PresentedTable:
    """One stage of a funnel by group (provider, ward, ...), with secondary suppression across groups."""
    t = table[table["stage"] == stage]
    protected = protect_table(f"{t['grouping'].iloc[0] if len(t) else 'groups'}_{stage}", t, rule)
    return present(
        protected,
        caption=caption,
        columns=[
            ("group", group_header, "text"),
            ("n", "Base", "count"),
            ("k", "Number", "count"),
            ("rate", "Rate", "percent"),
            ("lower", "95% interval", "interval"),
        ],
    )


def validation_presented(rows: list[dict], *, rule: Disclosure) -> PresentedTable:
    frame = pd.DataFrame(rows)[["file", "rows_in", "accepted", "quarantined", "warnings"]]
    # Row counts of whole input files describe no person; they pass the door unsuppressed.
    protected = protect(frame, name="validation", counts=(), rule=rule)
    return present(
        protected,
        caption="Rows read, accepted and quarantined, by input file",
        columns=[
            ("file", "File", "text"),
            ("rows_in", "Rows in", "count"),
            ("accepted", "Accepted", "count"),
            ("quarantined", "Quarantined", "count"),
            ("warnings", "Warnings", "count"),
        ],
        note="Every row read is either accepted or quarantined with its reasons; quarantined rows stay with the data owner and are not published.",
    )


def disclosure_log_presented(logs: list[pd.DataFrame], *, rule: Disclosure) -> PresentedTable:
    """How many cells each table withheld, and why (the cell-by-cell log is in the pack's data folder)."""
    frame = (
        pd.concat([lg for lg in logs if not lg.empty], ignore_index=True)
        if any(not lg.empty for lg in logs)
        else pd.DataFrame(columns=["table", "row", "column", "reason"])
    )
    reason = frame["reason"].str.split(":").str[0] if len(frame) else frame["reason"]
    summary = (
        frame.assign(reason=reason)
        .groupby(["table", "reason"], sort=True)
        .size()
        .rename("cells")
        .reset_index()
    )
    protected = ProtectedTable("disclosure_log", summary.astype(object), rule="")
    return present(
        protected,
        caption="Cells withheld by disclosure control, by table and reason",
        columns=[
            ("table", "Table", "text"),
            ("reason", "Reason", "text"),
            ("cells", "Cells withheld", "count"),
        ],
        note="The cell-by-cell log (which rows and columns, never their values) is in the pack's data folder.",
    )


def delivery_plan_presented(plan: pd.DataFrame, *, rule: Disclosure) -> PresentedTable:
    """The delivery plan: priority, activity, amount, residents supported planned and to date."""
    protected = protect_table("delivery_plan", plan, rule)
    return present(
        protected,
        caption="Delivery plan: activities, amounts and residents supported",
        columns=[
            ("priority", "Priority", "text"),
            ("activity", "Activity", "text"),
            ("amount", "Amount", "money"),
            ("planned", "Residents supported (plan)", "count"),
            ("supported", "Residents supported to date", "count"),
        ],
        total={"priority": "Total", "amount": float(plan["amount"].sum())},
        note="[x]: the plan gives no number of residents for this activity.",
    )


def equity_presented(
    outcomes: pd.DataFrame, *, grouping: str, label: str, rule: Disclosure
) -> PresentedTable:
    """One characteristic's starts and job outcomes by group, protected, side by side, with readings."""
    part = outcomes[outcomes["grouping"] == grouping]
    protected = protect_table(f"equity_{grouping}", part, rule)
    f = protected.frame.assign(stage=part["stage"].to_numpy(), group=part["group"].astype(str).to_numpy())
    starts = f[f["stage"] == "starts"].set_index("group")
    jobs = f[f["stage"] == "job_outcomes"].set_index("group")
    rows = []
    for group in starts.index:
        s = starts.loc[group]
        j = jobs.loc[group] if group in jobs.index else None
        rows.append(
            Row(
                (
                    Cell(group),
                    Cell(_text(s["n"], "count"), True),
                    Cell(_text(s["k"], "count"), True),
                    Cell(_text(s["rate"], "percent"), True),
                    Cell(_text(j["k"], "count") if j is not None else "[x]", True),
                    Cell(_text(j["rate"], "percent") if j is not None else "[x]", True),
                    Cell(_interval(j["lower"], j["upper"]) if j is not None else "[x]", True),
                    Cell(_text(j["rate_ratio"], "ratio") if j is not None else "[x]", True),
                    Cell(str(j["reading"]) if j is not None else "[x]"),
                )
            )
        )
    headers = (
        Header("Group"),
        Header("Referred", True),
        Header("Started", True),
        Header("Start rate", True),
        Header("Job outcomes", True),
        Header("Job rate (of starts)", True),
        Header("95% interval", True),
        Header("Ratio to reference", True),
        Header("Reading (job outcomes)"),
    )
    reference = str(part["reference"].iloc[0]) if len(part) else ""
    return PresentedTable(
        protected.name,
        f"Starts and job outcomes by {label}",
        headers,
        tuple(rows),
        note=f"Reference group: {reference}. Too few to say: fewer than 10 people or outcomes, so no reading is given either way.",
        log=protected.log,
    )


def representation_presented(table: pd.DataFrame, *, rule: Disclosure) -> PresentedTable:
    protected = protect_table("representation", table, rule)
    f = protected.frame
    rows = tuple(
        Row(
            (
                Cell(str(r["group"])),
                Cell(_text(r["k"], "count"), True),
                Cell(_text(r["population"], "count"), True),
                Cell(_text(r["rate_ratio"], "ratio"), True),
                Cell(_text(r["rr_lower"], "ratio") + " to " + _text(r["rr_upper"], "ratio"), True),
                Cell(str(r["reading"])),
            )
        )
        for _, r in f.iterrows()
    )
    return PresentedTable(
        "representation",
        "Participants referred against the eligible population, by main reason for economic inactivity",
        (
            Header("Reason"),
            Header("Referred", True),
            Header("Eligible population", True),
            Header("Representation ratio", True),
            Header("95% interval", True),
            Header("Reading"),
        ),
        rows,
        note="Representation ratio: the group's share of people referred divided by its share of the economically inactive population (1 = in proportion).",
        log=protected.log,
    )


def commissioned_presented(table: pd.DataFrame, *, rule: Disclosure) -> PresentedTable:
    """Job outcomes commissioned from each provider against those delivered to date."""
    protected = protect_table("commissioned", table, rule)
    return present(
        protected,
        caption="Job outcomes commissioned and delivered, by provider",
        columns=[
            ("provider", "Provider", "text"),
            ("commissioned_job_outcomes", "Commissioned", "count"),
            ("delivered_job_outcomes", "Delivered to date", "count"),
            ("source", "Source of the commissioned figure", "text"),
        ],
    )


def _auto(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return "[x]"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int) or (isinstance(value, float) and float(value).is_integer() and abs(value) >= 1):
        return formatting.count(float(value))
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, pd.Timestamp):
        return formatting.uk_date(value.date())
    return str(value)


def generic_presented(
    name: str, frame: pd.DataFrame, *, rule: Disclosure, caption: str, max_rows: int = 40
) -> PresentedTable:
    """Any results table, protected by the naming convention and shown column by column."""
    protected = protect_table(name, frame, rule)
    full = protected.frame
    # Text that is the same on every row (a method, a definition) is said once, under the table.
    constant = [
        c
        for c in full.columns
        if len(full)
        and full[c].map(lambda v: isinstance(v, str) and len(v) > 40).all()
        and full[c].nunique() == 1
    ]
    f = full.drop(columns=constant).head(max_rows)
    headers = tuple(Header(str(c).replace("_", " ").capitalize()) for c in f.columns)
    rows = tuple(Row(tuple(Cell(_auto(v)) for v in r)) for r in f.itertuples(index=False))
    notes = [f"{str(c).replace('_', ' ').capitalize()}: {full[c].iloc[0]}" for c in constant]
    if len(frame) > max_rows:
        notes.append(f"First {max_rows} of {len(frame)} rows; the full table is in the executed notebook.")
    return PresentedTable(protected.name, caption, headers, rows, " ".join(notes), protected.log)

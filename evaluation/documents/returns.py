"""The DWP quarterly return: an accessible XLSX (gptables), CSVs and a machine-readable schema.

In: the process results and the run's parameters. Out: ``dwp_return.xlsx`` (cover sheet,
contents, notes, one table per sheet, GSS markers, no merged cells, no formulas),
``dwp_return_table_N.csv`` and ``dwp_return.schema.json``. The writer checks its own output
against the schema by reading it back with openpyxl, so a return that does not round-trip is
never published. Every table passes disclosure control first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evaluation.disclosure import LEGEND, NOT_AVAILABLE, ProtectedTable, protect
from evaluation.documents.render import source_date
from evaluation.errors import PipelineError
from evaluation.metrics import equity_groups
from evaluation.params import Params
from evaluation.published import COUNT_COLUMNS, protect_table
from evaluation.results import Results

SCHEMA_VERSION = 1
FORMULA_STARTS = ("=", "+", "-", "@")
COHORT_GROUPINGS = (
    "age_band",
    "sex",
    "disability",
    "ethnic_group",
    "carer",
    "care_leaver",
    "neet",
    "lone_parent",
    "social_housing",
)


@dataclass(frozen=True)
class ReturnTable:
    """One sheet of the return: its protected table, title and column types."""

    sheet: str
    title: str
    table: ProtectedTable
    types: dict[str, str]  # column -> "text", "count" or "money"
    note: str


def _counts_by_cohort(participants: pd.DataFrame) -> pd.DataFrame:
    people = equity_groups.people(participants)
    rows = []
    for grouping in COHORT_GROUPINGS:
        g = people.groupby(grouping, sort=False)
        for group in equity_groups.group_order(grouping, list(g.groups)):
            members = people[people[grouping] == group]
            rows.append(
                {
                    "grouping": _label(grouping),
                    "group": str(group),
                    "starts": int(members["started"].sum()),
                    "job_outcomes": int(members["job"].sum()),
                }
            )
    return pd.DataFrame(rows)


def _label(grouping: str) -> str:
    return equity_groups.LABELS[grouping][0].upper() + equity_groups.LABELS[grouping][1:]


def cohort_counts(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Table 2 from the equity results' outcomes (k of the starts and job outcome stages), so that
    it carries every cell the pack withholds (disclosure_linked) and shows the same numbers."""
    rows = outcomes[outcomes["grouping"].isin(COHORT_GROUPINGS)]
    starts = rows[rows["stage"] == "starts"][["grouping", "group", "k"]].rename(columns={"k": "starts"})
    jobs = rows[rows["stage"] == "job_outcomes"][["grouping", "group", "k"]].rename(
        columns={"k": "job_outcomes"}
    )
    table = starts.merge(jobs, on=["grouping", "group"], how="left", sort=False)
    order = {g: i for i, g in enumerate(COHORT_GROUPINGS)}
    table = table.sort_values("grouping", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    return table.assign(grouping=table["grouping"].map(_label), group=table["group"].astype(str))


def return_tables(
    process: Results, participants: pd.DataFrame, params: Params, equity: Results | None = None
) -> list[ReturnTable]:
    """The three tables of the return, each protected by the run's disclosure rule. Table 2 comes
    from the equity results where the run has them (as the pipeline's do, marked with what the
    pack withholds), else is counted from the participants."""
    rule = params.disclosure
    quarterly = process.tables["quarterly"]
    counts = ("referrals", "starts", "job_outcomes", "sustained_13w", "sustained_26w")
    # Quarters of one area add up to its published totals: withheld cells are protected within each area.
    t1 = protect(
        quarterly, name="dwp_table_1", counts=counts, group_by="area_code", label="quarter", rule=rule
    )
    by_cohort = (
        cohort_counts(equity.tables["outcomes"]) if equity is not None else _counts_by_cohort(participants)
    )
    t2 = protect_table("dwp_table_2", by_cohort, rule)
    budget = process.tables["budget"]
    spend = (
        budget.groupby(["area_code", "strand"], sort=True)[["budgeted", "spend_to_date"]]
        .sum(min_count=1)
        .reset_index()
    )
    t3 = protect(spend, name="dwp_table_3", counts=(), rule=rule)
    return [
        ReturnTable(
            "Table_1",
            f"Referrals, starts and outcomes by area and financial quarter, {params.area.name}",
            t1,
            {"area_code": "text", "area_name": "text", "quarter": "text", **dict.fromkeys(counts, "count")},
            "Each event is counted in the quarter it happened. Job and sustained outcomes are counted in the quarter the job started.",
        ),
        ReturnTable(
            "Table_2",
            f"Starts and evidenced job outcomes by participant characteristic, {params.area.name}",
            t2,
            {"grouping": "text", "group": "text", "starts": "count", "job_outcomes": "count"},
            "Counts to the data cut-off. Groups within a characteristic add up to the total starts.",
        ),
        ReturnTable(
            "Table_3",
            f"Spend to date against budget by budget heading, {params.budget.financial_year}",
            t3,
            {"area_code": "text", "strand": "text", "budgeted": "money", "spend_to_date": "money"},
            "Pounds. Budget and spend to date as recorded in the budget input.",
        ),
    ]


HEADERS = {
    "area_code": "Area code",
    "area_name": "Area name",
    "quarter": "Financial quarter",
    "referrals": "Referrals",
    "starts": "Starts",
    "job_outcomes": "Evidenced job outcomes",
    "sustained_13w": "Sustained 13 weeks",
    "sustained_26w": "Sustained 26 weeks",
    "grouping": "Characteristic",
    "group": "Group",
    "strand": "Budget heading",
    "budgeted": "Budget (£)",
    "spend_to_date": "Spend to date (£)",
}


def schema(tables: list[ReturnTable]) -> dict:
    """The machine-readable schema: sheets, columns, types and the markers cells may hold."""
    return {
        "schema_version": SCHEMA_VERSION,
        "markers": LEGEND,
        "tables": {
            t.sheet: {
                "title": t.title,
                "columns": [{"name": HEADERS[c], "field": c, "type": ty} for c, ty in t.types.items()],
            }
            for t in tables
        },
    }


def _safe_text(value: object) -> object:
    """Text cells that a spreadsheet would run as a formula are written as text."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not value.startswith("[")
        and value not in LEGEND
    ):
        return "'" + value
    return value


def _cell(value: object, kind: str) -> object:
    """A numeric cell as a number (whole pounds and counts as integers) or its GSS marker."""
    if isinstance(value, str):
        return value
    if pd.isna(value):
        return NOT_AVAILABLE
    number = float(value)
    return int(number) if number.is_integer() or kind == "count" else round(number, 2)


def _sheet_frame(t: ReturnTable) -> pd.DataFrame:
    frame = t.table.frame[list(t.types)].copy()
    for col, kind in t.types.items():
        frame[col] = (
            frame[col].map(_safe_text) if kind == "text" else frame[col].map(lambda v, k=kind: _cell(v, k))
        )
    return frame.rename(columns=HEADERS)


def write_return(tables: list[ReturnTable], params: Params, pack: Path) -> list[Path]:
    """Write the XLSX, one CSV per table and the schema; then read the XLSX back and check it."""
    import gptables as gpt

    sheets = {}
    for t in tables:
        frame = _sheet_frame(t)
        sheets[t.sheet] = gpt.GPTable(
            table=frame,
            table_name=t.sheet.lower(),
            title=t.title,
            subtitles=[f"Data to {params.period.data_cutoff:%-d %B %Y}. {t.note} $$markers$$"],
            instructions="This worksheet contains one table. Some cells hold a marker instead of a number.",
            source=f"{params.area.organisation}; participant journeys and budget inputs",
        )
    cover = gpt.Cover(
        title=f"{params.programme}: quarterly return to DWP, {params.area.name}",
        intro=[
            f"Counts of referrals, starts, evidenced job outcomes and sustained outcomes to {params.period.data_cutoff:%-d %B %Y}, by area, quarter and participant characteristic, and spend against budget.",
        ],
        about=[
            f"Disclosure control: {tables[0].table.rule}.",
            "[c] confidential: withheld to protect people from being identified. [x] not available. [z] not applicable.",
        ],
        contact=[params.area.organisation],
    )
    notes = pd.DataFrame(
        {
            "Note number": ["markers"],
            "Note text": [
                "Counts are to the data cut-off; rates are not given in this return. [c], [x] and [z] are explained on the cover sheet."
            ],
        }
    )
    path = pack / "dwp_return.xlsx"
    epoch = source_date().replace(tzinfo=None)
    wb = gpt.produce_workbook(
        filename=str(path),
        sheets=sheets,
        cover=cover,
        notes_table=notes,
        workbook_options={
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    wb.set_properties(
        {
            "title": cover.title,
            "author": params.area.organisation,
            "created": epoch,
            "company": params.area.organisation,
        }
    )
    wb.set_custom_property("Language", "en-GB")
    wb.close()
    written = [path]
    for t in tables:
        csv_path = pack / f"dwp_return_{t.sheet.lower()}.csv"
        _sheet_frame(t).to_csv(csv_path, index=False, lineterminator="\n")
        written.append(csv_path)
    schema_path = pack / "dwp_return.schema.json"
    spec = schema(tables)
    schema_path.write_text(json.dumps(spec, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    written.append(schema_path)
    problems = check_return(path, spec, threshold=params.disclosure.threshold)
    if problems:
        raise PipelineError(
            "the DWP return does not match its schema: " + "; ".join(problems), file=str(path)
        )
    return written


def read_return(path: Path, spec: dict) -> dict[str, pd.DataFrame]:
    """Read the return's tables back (openpyxl), finding each header row by the schema's names."""
    import openpyxl

    book = openpyxl.load_workbook(path, data_only=False)
    out = {}
    for sheet, meta in spec["tables"].items():
        ws = book[sheet]
        names = [c["name"] for c in meta["columns"]]
        rows = list(ws.iter_rows(values_only=True))
        start = next(
            (i for i, r in enumerate(rows) if [v for v in r if v is not None][: len(names)] == names), None
        )
        if start is None:
            raise PipelineError(f"sheet {sheet} has no header row {names}", file=str(path))
        body = [r[: len(names)] for r in rows[start + 1 :] if any(v is not None for v in r)]
        out[sheet] = pd.DataFrame(body, columns=names)
    return out


def check_return(path: Path, spec: dict, *, threshold: int) -> list[str]:
    """Problems with a written return: formulas, merged cells, wrong types, unprotected small counts."""
    import openpyxl

    problems = []
    book = openpyxl.load_workbook(path, data_only=False)
    for ws in book.worksheets:
        if ws.merged_cells.ranges:
            problems.append(f"{ws.title} has merged cells")
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    problems.append(f"{ws.title}!{cell.coordinate} holds a formula")
    tables = read_return(path, spec)
    for sheet, meta in spec["tables"].items():
        frame = tables[sheet]
        for col in meta["columns"]:
            values = frame[col["name"]]
            if col["type"] in ("count", "money"):
                bad = [v for v in values if not (isinstance(v, int | float) or v in spec["markers"])]
                if bad:
                    problems.append(f"{sheet} column {col['name']!r} holds {bad[:3]}, not numbers or markers")
            if col["type"] == "count" and col["field"] in COUNT_COLUMNS:
                small = [v for v in values if isinstance(v, int | float) and 0 < v < threshold]
                if small:
                    problems.append(f"{sheet} column {col['name']!r} publishes counts below {threshold}")
    return problems

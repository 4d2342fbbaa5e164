"""Phase two of validation: rules on parsed values, then quarantine what fails.

In: a ``ParsedTable`` and the run's context (period, ONS and ward lookups). Out: a
``ValidatedTable`` whose accepted frame holds only rows that pass every rule and whose quarantine
holds the others with their reasons, so that ``rows_in == accepted + quarantined`` always.
Column rules (ranges, patterns, missing values) are a pandera schema run lazily, which returns
every failure at once; rules across columns and rows are written here as masks.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc

from evaluation.data.parse import ParsedTable, parse_table
from evaluation.data.readers import SourceOptions, read_raw
from evaluation.data.reference import ons_areas
from evaluation.data.schemas import TABLES, TableSchema
from evaluation.errors import Finding, IdentifierError, InputFileError


@dataclass(frozen=True)
class RuleContext:
    """What the rules need beyond the table itself."""

    period_start: dt.date | None = None
    data_cutoff: dt.date | None = None
    wards: pd.DataFrame | None = None  # the validated ward lookup, indexed by line


@dataclass
class ValidatedTable:
    """One input after validation: accepted rows, quarantined rows with reasons, and findings."""

    name: str
    file: str
    frame: pd.DataFrame
    quarantine: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        return len(self.frame) + len(self.quarantine)

    @property
    def accepted(self) -> int:
        return len(self.frame)

    @property
    def quarantined(self) -> int:
        return len(self.quarantine)

    def quarantined_by_rule(self) -> dict[str, int]:
        """Rows quarantined, by rule (a row failing two rules counts under each)."""
        counts: Counter[str] = Counter()
        for rules in self.quarantine.get("rules", pd.Series(dtype=str)):
            counts.update(set(rules.split(";")))
        return dict(sorted(counts.items()))

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


def pandera_schema(schema: TableSchema) -> pa.DataFrameSchema:
    """The column rules of a table as a pandera schema (types are already parsed)."""
    columns = {}
    for col in schema.columns:
        checks = []
        if col.minimum is not None or col.maximum is not None:
            lo = col.minimum if col.minimum is not None else float("-inf")
            hi = col.maximum if col.maximum is not None else float("inf")
            checks.append(pa.Check.in_range(lo, hi))
        if col.pattern is not None:
            checks.append(pa.Check.str_matches(col.pattern))
        columns[col.name] = pa.Column(nullable=col.nullable, required=False, checks=checks)
    return pa.DataFrameSchema(columns, strict=False)


def _describe_check(check: str, schema: TableSchema, column: str) -> tuple[str, str, str]:
    """(rule, message, expected) for a pandera check name."""
    col = schema.column(column)
    if check == "not_nullable":
        return "missing_value", "a required value is missing", "a value"
    if check.startswith("in_range"):
        lo = "" if col.minimum is None else f"{col.minimum:g}"
        hi = "" if col.maximum is None else f"{col.maximum:g}"
        return (
            "out_of_range",
            "the value is outside the allowed range",
            f"between {lo} and {hi}".replace("between  and", "at most").replace(" and inf", ""),
        )
    if check.startswith("str_matches"):
        what = {
            "id": "a pseudonymous identifier of 3 to 40 letters, digits, '-' or '_'",
            "code": "an ONS code such as E08000018",
        }
        return (
            "pattern",
            "the value does not have the expected form",
            what.get(col.kind, f"text matching {col.pattern}"),
        )
    return check, f"the value fails the check {check}", check


def _column_rule_findings(parsed: ParsedTable, schema: TableSchema) -> list[Finding]:
    frame = parsed.frame
    failed_cells = {(f.line, f.column) for f in parsed.findings if f.line is not None and f.column}
    try:
        pandera_schema(schema).validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    findings = []
    for row in cases.itertuples(index=False):
        if row.index is None or pd.isna(row.index) or row.column not in schema.names:
            continue
        line = int(row.index)
        if (line, row.column) in failed_cells:
            continue  # already reported as unparseable; a missing parse result is not a second fault
        rule, message, expected = _describe_check(str(row.check), schema, row.column)
        col = schema.column(row.column)
        value = None if row.failure_case is None or pd.isna(row.failure_case) else str(row.failure_case)
        findings.append(
            Finding(
                file=parsed.file,
                sheet=parsed.sheet,
                line=line,
                column=row.column,
                rule=rule,
                message=message,
                value="[redacted]" if col.sensitive and value else value,
                expected=expected,
            )
        )
    return findings


def _uk(value: object) -> str:
    return pd.Timestamp(value).strftime("%d/%m/%Y") if pd.notna(value) else "(blank)"


RowRule = Callable[[pd.DataFrame, RuleContext], list[Finding]]


def _mask_findings(
    parsed: ParsedTable,
    mask: pd.Series,
    *,
    rule: str,
    column: str,
    message: Callable[[pd.Series], str],
    expected: str,
    fix: str | None = None,
    severity: str = "row",
) -> list[Finding]:
    mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return []
    return [
        Finding(
            file=parsed.file,
            sheet=parsed.sheet,
            line=int(line),
            column=column,
            rule=rule,
            message=message(row),
            expected=expected,
            fix=fix,
            severity=severity,
        )
        for line, row in parsed.frame[mask].iterrows()
    ]


def _lookup(keys: pd.Series, table: pd.DataFrame) -> pd.DataFrame:
    """The row of ``table`` (indexed by key) for each of ``keys``, missing where there is none;
    as ``keys.map`` column by column, but each distinct key is looked up once."""
    codes, distinct = pd.factorize(keys, use_na_sentinel=True)
    found = table.reindex(pd.Index(distinct).append(pd.Index([None])))  # last row: no key
    return found.iloc[np.where(codes < 0, len(distinct), codes)].set_axis(keys.index)


def _listed(items: pd.Series) -> pd.Series:
    """How many items a semicolon-separated list holds (a missing list: one), per distinct text."""
    codes, texts = pd.factorize(items.fillna(""), use_na_sentinel=True)
    return pd.Series(np.array([t.count(";") + 1 for t in texts], dtype=np.int64)[codes], index=items.index)


def _differs_casefolded(a: pd.Series, b: pd.Series) -> pd.Series:
    """``a.astype(str).str.casefold() != b.astype(str).str.casefold()``, folding each distinct text
    once: cells missing on either side differ, as NaN differs from everything."""
    folded = []
    for side in (a.astype(str), b.astype(str)):
        codes, texts = pd.factorize(side, use_na_sentinel=True)
        folded.append((np.array([t.casefold() for t in texts] + [None], dtype=object)[codes], codes < 0))
    (x, x_missing), (y, y_missing) = folded
    return pd.Series((x != y) | x_missing | y_missing, index=a.index)


# GSS entity codes (the first three characters of an ONS code) and what each names.
GSS_ENTITIES: dict[str, str] = {
    "E00": "an output area",
    "E01": "a lower layer super output area (LSOA)",
    "W01": "a lower layer super output area (LSOA)",
    "E02": "a middle layer super output area (MSOA)",
    "W02": "a middle layer super output area (MSOA)",
    "E05": "an electoral ward",
    "W05": "an electoral ward",
    "S13": "an electoral ward",
    "N08": "an electoral ward",
    "E06": "a unitary authority",
    "E07": "a non-metropolitan district",
    "E08": "a metropolitan district",
    "E09": "a London borough",
    "W06": "a Welsh unitary authority",
    "S12": "a Scottish council area",
    "N09": "a Northern Ireland district",
    "E10": "a county",
    "E11": "a metropolitan county",
    "E12": "a region",
    "E14": "a parliamentary constituency",
    "E47": "a combined authority",
    "E92": "a country",
}
DISTRICTS = ("E06", "E07", "E08", "E09", "W06", "S12", "N09")
COUNCILS_AND_COMBINED = (*DISTRICTS, "E47")


def _area_findings(
    parsed: ParsedTable,
    code_col: str = "area_code",
    name_col: str | None = "area_name",
    levels: tuple[str, ...] = DISTRICTS,
) -> list[Finding]:
    f = parsed.frame
    lookup = ons_areas()["area_name"]
    codes = f[code_col]
    entity = codes.str[:3]
    wrong_level = codes.notna() & ~entity.isin(levels).fillna(False).astype(bool)
    allowed = "a local authority district" if levels == DISTRICTS else "a district or combined authority"
    out = _mask_findings(
        parsed,
        wrong_level,
        rule="wrong_geography_level",
        column=code_col,
        message=lambda r: (
            f"{r[code_col]} is the code of {GSS_ENTITIES.get(str(r[code_col])[:3], 'another kind of area')} "
            f"(entity {str(r[code_col])[:3]}), not of {allowed}"
        ),
        expected=f"the code of {allowed} (entity {', '.join(levels)})",
        fix="check the column holds the council's code, not a ward, neighbourhood or region",
    )
    unknown = codes.notna() & ~wrong_level & ~codes.isin(lookup.index)
    out += _mask_findings(
        parsed,
        unknown,
        rule="area_unknown",
        column=code_col,
        message=lambda r: f"the area code {r[code_col]} is not in the ONS lookup",
        expected="an ONS code of a district or combined authority in evaluation/reference/ons_areas.csv",
    )
    if name_col and name_col in f:
        expected_name = codes.map(lookup)
        mismatch = (
            f[name_col].notna()
            & expected_name.notna()
            & ~wrong_level
            & _differs_casefolded(f[name_col], expected_name)
        )
        out += _mask_findings(
            parsed,
            mismatch,
            rule="area_name_mismatch",
            column=name_col,
            message=lambda r: f"the code {r[code_col]} is {lookup[r[code_col]]}, not {r[name_col]}",
            expected="the name that goes with the code",
            fix="check which of the code and the name is wrong",
        )
    return out


def _date_order(parsed: ParsedTable, earlier: str, later: str, rule: str) -> list[Finding]:
    f = parsed.frame
    return _mask_findings(
        parsed,
        f[later].notna() & f[earlier].notna() & (f[later] < f[earlier]),
        rule=rule,
        column=later,
        message=lambda r: (
            f"{later.replace('_', ' ')} {_uk(r[later])} is before {earlier.replace('_', ' ')} {_uk(r[earlier])}"
        ),
        expected=f"{later.replace('_', ' ')} on or after {earlier.replace('_', ' ')}",
    )


def _after_cutoff(parsed: ParsedTable, columns: tuple[str, ...], ctx: RuleContext) -> list[Finding]:
    if ctx.data_cutoff is None:
        return []
    cutoff = pd.Timestamp(ctx.data_cutoff)
    out: list[Finding] = []
    for col in columns:
        out += _mask_findings(
            parsed,
            parsed.frame[col] > cutoff,
            rule="date_after_cutoff",
            column=col,
            message=lambda r, c=col: (
                f"{c.replace('_', ' ')} {_uk(r[c])} is after the data cut-off {_uk(cutoff)}"
            ),
            expected=f"a date on or before {_uk(cutoff)}",
            fix="check the date, or the data cut-off in the parameters file",
        )
    return out


def _participant_rules(parsed: ParsedTable, ctx: RuleContext) -> list[Finding]:
    f = parsed.frame
    out = _area_findings(parsed)
    out += _date_order(parsed, "referral_date", "start_date", "start_before_referral")
    out += _date_order(parsed, "start_date", "job_start_date", "job_before_start")
    out += _date_order(parsed, "referral_date", "exit_date", "exit_before_referral")
    out += _mask_findings(
        parsed,
        f["job_start_date"].notna() & f["start_date"].isna(),
        rule="job_without_start",
        column="job_start_date",
        message=lambda r: "a job start is recorded but no programme start",
        expected="a start date before any job start",
    )
    out += _mask_findings(
        parsed,
        f["job_evidenced"].fillna(False).astype(bool) & f["job_start_date"].isna(),
        rule="evidenced_without_job",
        column="job_evidenced",
        message=lambda r: "the job is marked evidenced but there is no job start date",
        expected="a job start date for every evidenced job",
    )
    for col in ("sustained_13w", "sustained_26w"):
        out += _mask_findings(
            parsed,
            f[col].fillna(False).astype(bool) & ~f["job_evidenced"].fillna(False).astype(bool),
            rule="sustained_without_job",
            column=col,
            message=lambda r, c=col: f"{c} is Yes but there is no evidenced job",
            expected="sustained outcomes only with an evidenced job",
        )
    out += _mask_findings(
        parsed,
        f["sustained_26w"].fillna(False).astype(bool) & (f["sustained_13w"] == False),  # noqa: E712
        rule="sustained_26_without_13",
        column="sustained_26w",
        message=lambda r: "sustained at 26 weeks but not at 13 weeks",
        expected="sustained_13w Yes whenever sustained_26w is Yes",
    )
    out += _after_cutoff(parsed, ("referral_date", "start_date", "job_start_date", "exit_date"), ctx)
    if ctx.period_start is not None:
        start = pd.Timestamp(ctx.period_start)
        out += _mask_findings(
            parsed,
            f["referral_date"] < start,
            rule="before_programme",
            column="referral_date",
            message=lambda r: (
                f"referral date {_uk(r['referral_date'])} is before the programme period began on {_uk(start)}"
            ),
            expected=f"a referral on or after {_uk(start)}",
        )
    if ctx.wards is not None:
        wards = ctx.wards.drop_duplicates("ward_code").set_index("ward_code")
        has_ward = f["ward_code"].notna()
        unknown = has_ward & ~f["ward_code"].isin(wards.index)
        out += _mask_findings(
            parsed,
            unknown,
            rule="ward_unknown",
            column="ward_code",
            message=lambda r: f"the ward code {r['ward_code']} is not in the ward lookup",
            expected="a ward code from the supplied ONS ward lookup",
            fix="check the code, or supply the ward lookup for the year of the data",
        )
        known = has_ward & ~unknown
        ward = _lookup(f["ward_code"], wards)
        ward_area = ward["area_code"]
        out += _mask_findings(
            parsed,
            known & (ward_area != f["area_code"]),
            rule="ward_wrong_area",
            column="ward_code",
            message=lambda r: (
                f"ward {r['ward_code']} lies in {wards.loc[r['ward_code'], 'area_code']}, not {r['area_code']}"
            ),
            expected="a ward within the participant's district",
        )
        for column, rule, when, late in (
            ("valid_to", "ward_retired", "was retired by a boundary change on", True),
            ("valid_from", "ward_not_yet_in_use", "came into use only on", False),
        ):
            if column not in wards:
                continue
            limit = ward[column]
            outside = (f["referral_date"] > limit) if late else (f["referral_date"] < limit)
            out += _mask_findings(
                parsed,
                known & limit.notna() & f["referral_date"].notna() & outside,
                rule=rule,
                column="ward_code",
                message=lambda r, c=column, w=when: (
                    f"ward {r['ward_code']} ({wards.loc[r['ward_code'], 'ward_name']}) {w} "
                    f"{_uk(wards.loc[r['ward_code'], c])}, but the referral is dated {_uk(r['referral_date'])}"
                ),
                expected="a ward code in use on the referral date",
                fix="record the ward of the current boundaries (see the ONS ward lookup for the year of the data)",
            )
        ward_name = ward["ward_name"]
        out += _mask_findings(
            parsed,
            known & f["ward_name"].notna() & _differs_casefolded(f["ward_name"], ward_name),
            rule="ward_name_mismatch",
            column="ward_name",
            message=lambda r: (
                f"ward {r['ward_code']} is {wards.loc[r['ward_code'], 'ward_name']}, not {r['ward_name']}"
            ),
            expected="the name that goes with the ward code",
        )
    out += _mask_findings(
        parsed,
        f["barriers_count"].notna() & f["barriers"].notna() & (f["barriers_count"] != _listed(f["barriers"])),
        rule="barriers_count_mismatch",
        column="barriers_count",
        message=lambda r: (
            f"barriers_count is {r['barriers_count']} but {str(r['barriers']).count(';') + 1} barriers are listed"
        ),
        expected="the number of barriers listed",
        severity="warning",
    )
    return out


def _pool_rules(parsed: ParsedTable, ctx: RuleContext) -> list[Finding]:
    return _area_findings(parsed, name_col=None) + _after_cutoff(parsed, ("entry_date",), ctx)


def _area_statistics_rules(parsed: ParsedTable, ctx: RuleContext) -> list[Finding]:
    f = parsed.frame
    out = _area_findings(parsed, levels=COUNCILS_AND_COMBINED)
    out += _date_order(parsed, "period_start", "period_end", "period_order")
    out += _mask_findings(
        parsed,
        f["ci_lower"].notna()
        & f["ci_upper"].notna()
        & ~((f["ci_lower"] <= f["inactive_count"]) & (f["inactive_count"] <= f["ci_upper"])),
        rule="interval_excludes_estimate",
        column="ci_lower",
        message=lambda r: (
            f"the interval {r['ci_lower']} to {r['ci_upper']} does not contain the count {r['inactive_count']}"
        ),
        expected="ci_lower <= inactive_count <= ci_upper",
    )
    return out


def _budget_rules(parsed: ParsedTable, ctx: RuleContext) -> list[Finding]:
    f = parsed.frame
    out = _area_findings(parsed, name_col=None, levels=COUNCILS_AND_COMBINED)
    out += _mask_findings(
        parsed,
        f["spend_to_date"].notna() & (f["spend_to_date"] > f["budgeted"]),
        rule="overspend",
        column="spend_to_date",
        message=lambda r: (
            f"spend to date £{r['spend_to_date']:,.0f} exceeds the budget £{r['budgeted']:,.0f}"
        ),
        expected="spend within budget (kept, and reported)",
        severity="warning",
    )
    return out


def _ward_rules(parsed: ParsedTable, ctx: RuleContext) -> list[Finding]:
    return _area_findings(parsed, name_col=None)


TABLE_RULES: dict[str, RowRule] = {
    "participants": _participant_rules,
    "comparison_pool": _pool_rules,
    "area_statistics": _area_statistics_rules,
    "budget": _budget_rules,
    "ward_lookup": _ward_rules,
}


def _duplicate_findings(parsed: ParsedTable, schema: TableSchema) -> list[Finding]:
    """Exact repeats of a row are quarantined after the first; conflicting repeats all are."""
    f = parsed.frame
    key = list(schema.key)
    if f[key].isna().all(axis=None):
        return []
    dup = f.duplicated(key, keep=False) & f[key].notna().all(axis=1)
    if not dup.any():
        return []
    out: list[Finding] = []
    label = ", ".join(key)
    for _, group in f[dup].groupby(key, sort=False, dropna=True):
        lines = [int(x) for x in group.index]
        identical = len(group.drop_duplicates()) == 1
        targets = lines[1:] if identical else lines
        for line in targets:
            out.append(
                Finding(
                    file=parsed.file,
                    sheet=parsed.sheet,
                    line=line,
                    column=key[0],
                    rule="duplicate_exact" if identical else "duplicate_conflicting",
                    message=(
                        f"the row repeats line {lines[0]} exactly"
                        if identical
                        else f"{label} is shared by lines {', '.join(map(str, lines))} with different values"
                    ),
                    value=str(group.iloc[0][key[0]])
                    if key[0] not in ("participant_id", "person_id")
                    else None,
                    expected=f"each {label} once",
                    fix=None if identical else "keep the correct row and remove the others",
                )
            )
    return out


# What a total row added below the data says in its first cells (compared case-folded, without ':').
TOTAL_WORDS = ("total", "totals", "grand total", "sub total", "subtotal", "sub-total", "overall total")


def _footer_findings(parsed: ParsedTable) -> list[Finding]:
    """A row whose text cells say 'Total' (or 'Grand total'...) is a total added below the data,
    not a record: it is quarantined as such, and its other faults are not reported."""
    if not parsed.text:
        return []
    rows = len(parsed.frame)
    found: dict[int, str] = {}
    for name, column in parsed.text.items():
        if not len(column.texts):
            continue
        folded = pc.utf8_rtrim(pc.utf8_trim_whitespace(pc.utf8_lower(column.texts)), characters=":")
        is_total = pc.is_in(pc.utf8_trim_whitespace(folded), value_set=pyarrow.array(TOTAL_WORDS)).to_numpy(
            zero_copy_only=False
        )
        if not is_total.any():
            continue
        hit = np.append(is_total, False)[column.codes]
        for row in np.flatnonzero(hit[:rows]):
            found.setdefault(int(row), name)
    return [
        Finding(
            file=parsed.file,
            sheet=parsed.sheet,
            line=int(parsed.frame.index[row]),
            column=name,
            rule="footer_total",
            message="the row is a total added below the data, not a record",
            expected="one row per record and no total rows",
            fix="delete total and summary rows before exporting; the toolkit computes its own totals",
        )
        for row, name in sorted(found.items())
    ]


def validate_parsed(parsed: ParsedTable, schema: TableSchema, ctx: RuleContext) -> ValidatedTable:
    """Apply every rule to a parsed table and split accepted from quarantined rows."""
    findings = list(parsed.findings)
    findings += _column_rule_findings(parsed, schema)
    findings += TABLE_RULES[schema.name](parsed, ctx)
    findings += _duplicate_findings(parsed, schema)
    # A total row below the data is not a record, and a row with the wrong number of fields is
    # misaligned: their other findings would mislead.
    footers = _footer_findings(parsed)
    totals = {f.line for f in footers}
    findings = [f for f in findings if f.line not in totals] + footers
    misaligned = {f.line for f in findings if f.rule == "row_length"}
    findings = [f for f in findings if f.line not in misaligned or f.rule == "row_length"]
    row_faults = [f for f in findings if f.severity == "row" and f.line is not None]
    reasons: dict[int, list[Finding]] = {}
    for finding in row_faults:
        reasons.setdefault(finding.line, []).append(finding)
    bad_lines = pd.Index(sorted(reasons), name="line")
    accepted = parsed.frame.drop(index=bad_lines) if len(bad_lines) else parsed.frame.copy(deep=False)
    quarantine = parsed.raw_rows(bad_lines).copy()
    for col in schema.columns:
        if col.sensitive and col.name in quarantine:
            quarantine[col.name] = quarantine[col.name].map(lambda v: None if v is None else "[redacted]")
    quarantine["rules"] = [";".join(sorted({f.rule for f in reasons[line]})) for line in bad_lines]
    quarantine["reasons"] = [
        " | ".join(f"{f.column}: {f.message}" if f.column else f.message for f in reasons[line])
        for line in bad_lines
    ]
    findings.sort(key=lambda f: (f.line if f.line is not None else -1, f.column or "", f.rule))
    return ValidatedTable(schema.name, parsed.file, accepted, quarantine, findings)


def read_and_validate(
    path: Path, table: str, *, options: SourceOptions | None = None, ctx: RuleContext | None = None
) -> ValidatedTable:
    """Read, parse and validate one input file; file-level faults come back as findings."""
    schema = TABLES[table]
    parsed = parse_table(read_raw(Path(path), options), schema, options)
    if parsed.file_faults:
        empty = pd.DataFrame(columns=list(schema.names))
        return ValidatedTable(
            table, str(path), empty, pd.DataFrame(columns=["rules", "reasons"]), parsed.findings
        )
    return validate_parsed(parsed, schema, ctx or RuleContext())


def raise_file_faults(tables: list[ValidatedTable]) -> None:
    """Stop the run, listing every file-level fault of every file; identifiers first."""
    faults = [f for t in tables for f in t.findings if f.severity == "file"]
    if not faults:
        return
    identifiers = [f for f in faults if f.rule == "direct_identifier"]
    if identifiers:
        raise IdentifierError(
            "an input holds direct identifiers; the run has stopped and nothing has been written. "
            "Inputs must be pseudonymised",
            findings=identifiers,
        )
    raise InputFileError(f"{len(faults)} problem(s) stop the run; nothing has been written", findings=faults)

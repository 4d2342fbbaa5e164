"""Phase one of validation: turn every text cell into its declared type, or say why it cannot be.

In: a ``RawTable`` and its ``TableSchema``. Out: a typed frame indexed by spreadsheet line, where
a cell that failed to parse is missing, and one finding per failed cell. Every cell is tried, so
one bad value never hides another; rules on parsed values are phase two (``validate``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluation.data import vocab
from evaluation.data.identifiers import identifier_columns, redact_free_text
from evaluation.data.readers import RawTable, SourceOptions, normalise_header
from evaluation.data.schemas import Column, TableSchema
from evaluation.errors import Finding

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0"})
EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # the 1900 date system, after Excel's leap-year bug
DATE_DTYPE = "datetime64[s]"


@dataclass
class ParsedTable:
    """Typed cells of one file (index: spreadsheet line) and the findings of parsing it."""

    file: str
    sheet: str | None
    frame: pd.DataFrame
    raw: pd.DataFrame  # the text cells as read, same index, for the quarantine file
    findings: list[Finding] = field(default_factory=list)

    @property
    def file_faults(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "file"]


def _show(col: Column, value: str) -> str:
    return "[redacted]" if col.sensitive else value


def parse_table(raw: RawTable, schema: TableSchema, options: SourceOptions | None = None) -> ParsedTable:
    """Parse every cell of ``raw`` against ``schema``; structural faults become file findings."""
    options = options or SourceOptions()
    findings = list(raw.findings)
    empty = pd.DataFrame()
    if raw.file_faults:
        return ParsedTable(raw.file, raw.sheet, empty, empty, findings)

    keys = [normalise_header(h) for h in raw.header]
    seen: dict[str, str] = {}
    for original, key in zip(raw.header, keys, strict=True):
        if key in seen:
            findings.append(
                Finding(
                    file=raw.file,
                    sheet=raw.sheet,
                    line=1,
                    column=original,
                    rule="duplicate_header",
                    message=f"the column {original!r} appears more than once (also as {seen[key]!r})",
                    fix="rename or remove the repeated column",
                    severity="file",
                )
            )
        seen.setdefault(key, original)
    blank = [i for i, k in enumerate(keys) if not k]
    width = len(keys)
    cells = pd.DataFrame(
        [(r + [None] * width)[:width] for r in raw.rows],
        index=pd.Index(raw.lines, name="line"),
        columns=pd.RangeIndex(width),
        dtype=object,
    )
    free = {c.name for c in schema.columns if c.free_text}
    findings += identifier_columns(raw.file, raw.header, cells, free_text=free)
    missing = [c.name for c in schema.columns if c.required and c.name not in keys]
    if missing:
        findings.append(
            Finding(
                file=raw.file,
                sheet=raw.sheet,
                line=1,
                rule="missing_columns",
                message="required columns are missing: " + ", ".join(missing),
                expected="the columns of the data contract (docs/data-dictionary.md)",
                fix="add the columns, or check the header row is the first row of the sheet",
                severity="file",
            )
        )
    known = set(schema.names)
    for i, key in enumerate(keys):
        if i in blank:
            if cells[i].notna().any():
                findings.append(
                    Finding(
                        raw.file,
                        "blank_header",
                        "a column with values has no header",
                        sheet=raw.sheet,
                        line=1,
                        severity="file",
                    )
                )
        elif key not in known and not any(f.column == raw.header[i] for f in findings):
            findings.append(
                Finding(
                    raw.file,
                    "unknown_column",
                    f"column {raw.header[i]!r} is not in the data contract and is ignored",
                    sheet=raw.sheet,
                    line=1,
                    column=raw.header[i],
                    severity="warning",
                )
            )
    if any(f.severity == "file" for f in findings):
        return ParsedTable(raw.file, raw.sheet, empty, empty, findings)

    position = {k: i for i, k in reversed(list(enumerate(keys)))}
    text = pd.DataFrame(index=cells.index)
    for col in schema.columns:
        text[col.name] = cells[position[col.name]] if col.name in position else None
    typed = pd.DataFrame(index=cells.index)
    for col in schema.columns:
        series, col_findings = parse_column(text[col.name], col, options, file=raw.file, sheet=raw.sheet)
        typed[col.name] = series
        findings += col_findings
        if col.free_text:
            typed[col.name], redactions = redact_free_text(raw.file, col.name, typed[col.name])
            findings += redactions
    return ParsedTable(raw.file, raw.sheet, typed, text, findings)


def _clean(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Trimmed text and the mask of cells that hold a value (missing markers count as missing)."""
    stripped = values.astype(object).map(
        lambda v: re.sub(r"\s+", " ", v).strip() if isinstance(v, str) else None
    )
    present = stripped.map(lambda v: isinstance(v, str) and v.casefold() not in vocab.MISSING_MARKERS)
    return stripped, present.astype(bool)


def parse_column(
    values: pd.Series, col: Column, options: SourceOptions, *, file: str, sheet: str | None = None
) -> tuple[pd.Series, list[Finding]]:
    """Parse one column of text cells into its kind; one finding per cell that fails."""
    s, present = _clean(values)
    refused = present & s.map(
        lambda v: isinstance(v, str) and v.casefold() == vocab.PREFER_NOT_TO_SAY.casefold()
    )
    allows_refusal = col.allowed is not None and vocab.PREFER_NOT_TO_SAY in col.allowed
    if not allows_refusal:
        present = present & ~refused  # "Prefer not to say" where no answer is recorded: missing
    findings: list[Finding] = []

    def bad(
        mask: pd.Series,
        message: str,
        expected: str,
        fix: str | None = None,
        rule: str | None = None,
    ) -> None:
        for line, value in s[mask].items():
            findings.append(
                Finding(
                    file=file,
                    sheet=sheet,
                    line=int(line),
                    column=col.name,
                    rule=rule or f"parse_{col.kind}",
                    message=message if "{" not in message else message.format(value=value),
                    value=_show(col, str(value)),
                    expected=expected,
                    fix=fix,
                )
            )

    if col.kind in ("id", "code", "text"):
        out = s.where(present, None)
        if col.kind == "code":
            out = out.map(lambda v: v.upper() if isinstance(v, str) else v)
        if col.kind == "id":
            sci = present & s.map(
                lambda v: isinstance(v, str) and bool(re.fullmatch(r"\d(\.\d+)?[eE][+-]?\d+", v))
            )
            bad(
                sci,
                "the identifier is in scientific notation, so Excel has changed it",
                "the identifier as text",
                "format the column as Text before saving",
                rule="id_scientific",
            )
            out = out.where(~sci, None)
        return out.astype("string"), findings

    if col.kind == "category":
        lookup = {a.casefold(): a for a in col.allowed or ()}
        mapped = s.map(lambda v: lookup.get(v.casefold()) if isinstance(v, str) else None)
        unknown = present & mapped.isna()
        shown = ", ".join(col.allowed or ())
        bad(
            unknown,
            "the value is not one of the allowed categories",
            f"one of: {shown}" if len(shown) < 400 else "a category in the data dictionary",
            rule="category",
        )
        return mapped.where(present & ~unknown, None).astype("string"), findings

    if col.kind == "list":
        lookup = {a.casefold(): a for a in col.allowed or ()}

        def to_list(v: object) -> str | None:
            if not isinstance(v, str):
                return None
            items = [p.strip() for p in v.split(";") if p.strip()]
            canon = [lookup.get(i.casefold()) for i in items]
            return (
                None
                if any(c is None for c in canon)
                else ";".join(sorted(set(canon), key=(col.allowed or ()).index))
            )

        mapped = s.map(to_list)
        unknown = present & mapped.isna()
        bad(
            unknown,
            "an item is not one of the allowed values",
            "items from: " + ", ".join(col.allowed or ()) + ", separated by ';'",
            rule="category",
        )
        return mapped.where(present & ~unknown, None).astype("string"), findings

    if col.kind == "bool":

        def to_bool(v: object) -> object:
            if not isinstance(v, str):
                return None
            low = v.casefold()
            return True if low in TRUE_WORDS else False if low in FALSE_WORDS else None

        mapped = s.map(to_bool)
        unknown = present & mapped.isna()
        bad(unknown, "the value is not yes or no", "Yes or No (also Y/N, True/False, 1/0)")
        return mapped.where(present & ~unknown, None).astype("boolean"), findings

    if col.kind in ("int", "float", "money"):

        def clean_number(v: object) -> str | None:
            if not isinstance(v, str):
                return None
            t = v.replace("\u00a3", "").replace(" ", "") if col.kind == "money" else v.replace(" ", "")
            if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", t):
                t = t.replace(",", "")
            if col.kind == "float" and t.endswith("%"):
                t = t[:-1]
            return t

        t = s.map(clean_number)
        if col.kind == "int":
            ok = t.map(lambda v: isinstance(v, str) and bool(re.fullmatch(r"[+-]?\d+(\.0+)?", v)))
            unknown = present & ~ok
            bad(unknown, "the value is not a whole number", "a whole number")
            nums = t.where(present & ok, None).map(lambda v: int(float(v)) if isinstance(v, str) else None)
            return nums.astype("Int64"), findings
        ok = t.map(
            lambda v: isinstance(v, str) and bool(re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", v))
        )
        unknown = present & ~ok
        bad(
            unknown,
            "the value is not a number",
            "a number" + (" of pounds, such as 1703928 or £1,703,928" if col.kind == "money" else ""),
        )
        nums = t.where(present & ok, None).map(lambda v: float(v) if isinstance(v, str) else np.nan)
        return nums.astype("Float64"), findings

    if col.kind == "date":
        return _parse_dates(s, present, col, options, file=file, sheet=sheet)

    raise ValueError(f"unknown column kind {col.kind!r}")  # a programming error, not user input


_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_UK = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_TWO_DIGIT = re.compile(r"\d{1,2}/\d{1,2}/\d{2}")
_SERIAL = re.compile(r"\d{5}(\.0+)?")
_DATE_EXPECTED = "a date as dd/mm/yyyy or yyyy-mm-dd"


def _date_parts(value: str, options: SourceOptions) -> tuple[int, int, int] | tuple[str, str, str | None]:
    """(year, month, day), or (rule, message, fix) saying why the text is not a date."""
    iso = _ISO.fullmatch(value[:10]) if len(value) >= 10 else None
    if iso and value[10:].strip() in ("", "00:00:00", "T00:00:00"):
        y, mo, d = int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
    elif (uk := _UK.fullmatch(value)) is not None:
        d, mo, y = int(uk.group(1)), int(uk.group(2)), int(uk.group(3))
    elif _TWO_DIGIT.fullmatch(value):
        return (
            "date_two_digit_year",
            "the date has a two-digit year",
            "write the year in full, as 2025",
        )
    elif _SERIAL.fullmatch(value):
        if not options.excel_serial_dates:
            return (
                "date_excel_serial",
                "the value looks like an Excel serial date, which this source does not declare",
                "format the column as a date before saving, or declare excel_serial_dates: true",
            )
        ts = EXCEL_EPOCH + pd.Timedelta(days=int(float(value)))
        y, mo, d = ts.year, ts.month, ts.day
    else:
        return ("parse_date", "the value is not a date", None)
    if not 1 <= mo <= 12:
        hint = (
            "; dates are read day first (dd/mm/yyyy) and this looks like month/day order" if d <= 12 else ""
        )
        return ("date_impossible", f"the date is impossible: month {mo} does not exist{hint}", None)
    try:
        pd.Timestamp(year=y, month=mo, day=d)
    except ValueError:
        return (
            "date_impossible",
            f"the date is impossible: day {d} does not exist in month {mo} of {y}",
            None,
        )
    if not 1900 <= y <= 2100:
        return (
            "date_impossible",
            f"the date is impossible: the year {y} is outside 1900 to 2100",
            None,
        )
    return (y, mo, d)


def _parse_dates(
    s: pd.Series,
    present: pd.Series,
    col: Column,
    options: SourceOptions,
    *,
    file: str,
    sheet: str | None,
) -> tuple[pd.Series, list[Finding]]:
    """Dates: ISO (yyyy-mm-dd) or UK day-first (dd/mm/yyyy); Excel serials only where declared."""
    findings: list[Finding] = []
    good: dict[object, str] = {}
    # Each distinct text is parsed once: exports repeat the same dates many times.
    cache: dict[str, tuple] = {}
    for line, value in s[present].items():
        parts = cache.get(value)
        if parts is None:
            parts = cache[value] = _date_parts(value, options)
        if isinstance(parts[0], int):
            good[line] = f"{parts[0]:04d}-{parts[1]:02d}-{parts[2]:02d}"
        else:
            rule, message, fix = parts
            findings.append(
                Finding(
                    file=file,
                    sheet=sheet,
                    line=int(line),
                    column=col.name,
                    rule=rule,
                    message=message,
                    value=_show(col, value),
                    expected=_DATE_EXPECTED,
                    fix=fix,
                )
            )
    out = pd.Series(pd.NaT, index=s.index, dtype=DATE_DTYPE)
    if good:
        out.loc[list(good)] = pd.to_datetime(list(good.values()), format="%Y-%m-%d").astype(DATE_DTYPE)
    return out, findings

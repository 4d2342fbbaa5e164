"""Read CSV, XLSX and Parquet exports into raw text cells, with council-export quirks handled here.

In: a file path and the declared options of its source. Out: a ``RawTable`` of header names and
rows of text cells (``None`` for an empty cell), each row with its spreadsheet line number, plus
the structural findings (file-level faults stop the run; short and long rows are quarantined).
Nothing is parsed into types here: that is ``evaluation.data.parse``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from evaluation.errors import Finding

Encoding = Literal["utf-8", "cp1252"]
SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".parquet")


@dataclass(frozen=True)
class SourceOptions:
    """How one source is declared in the parameters file."""

    encoding: Encoding = "utf-8"
    sheet: str | None = None
    delimiter: str = ","
    excel_serial_dates: bool = False


@dataclass
class RawTable:
    """The cells of one file as text, before any parsing."""

    file: str
    sheet: str | None
    header: list[str]
    rows: list[list[str | None]]
    lines: list[int]
    findings: list[Finding] = field(default_factory=list)

    @property
    def file_faults(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "file"]


def normalise_header(name: str) -> str:
    """Header as the contract spells it: trimmed, lower case, runs of other characters as ``_``."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def read_raw(path: Path, options: SourceOptions | None = None) -> RawTable:
    """Read one input file of any supported type into text cells with line numbers."""
    options = options or SourceOptions()
    name = str(path)
    if not path.exists():
        return _fault(name, "file_missing", "file not found", fix="check the path in the parameters file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        return _fault(
            name,
            "unsupported_type",
            f"unsupported file extension {suffix or '(none)'!r}",
            expected="one of " + ", ".join(SUPPORTED_SUFFIXES),
        )
    data = path.read_bytes()
    if not data.strip():
        return _fault(name, "empty_file", "the file is empty", fix="export the table again")
    sniffed = _sniff_type(data)
    if suffix == ".csv" and sniffed != "text":
        return _fault(
            name,
            "disguised_file",
            f"the file is named .csv but its contents are {sniffed}",
            fix="save the table as CSV, or give it its real extension",
        )
    if suffix == ".csv":
        return _read_csv(name, data, options)
    if suffix == ".xlsx":
        if sniffed != "an Excel workbook":
            return _fault(name, "disguised_file", f"the file is named .xlsx but its contents are {sniffed}")
        return _read_xlsx(name, data, options)
    if sniffed != "a Parquet file":
        return _fault(name, "disguised_file", f"the file is named .parquet but its contents are {sniffed}")
    return _read_parquet(name, path)


def _fault(file: str, rule: str, message: str, **kw: str | int) -> RawTable:
    finding = Finding(file=file, rule=rule, message=message, severity="file", **kw)  # type: ignore[arg-type]
    return RawTable(file=file, sheet=None, header=[], rows=[], lines=[], findings=[finding])


def _sniff_type(data: bytes) -> str:
    head = data[:512].lstrip()
    if data[:4] == b"PK\x03\x04":
        return "an Excel workbook"
    if data[:4] == b"PAR1":
        return "a Parquet file"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "an old-style Excel (.xls) workbook"
    lowered = head[:64].lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml")):
        return "an HTML or XML page (perhaps an error page saved in place of the download)"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "text"  # UTF-16 is reported by the CSV reader with its own fix
    return "text"


def _read_csv(name: str, data: bytes, options: SourceOptions) -> RawTable:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return _fault(
            name,
            "encoding",
            "the file is UTF-16 text",
            expected="UTF-8",
            fix="save as 'CSV UTF-8 (Comma delimited)'",
        )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return _fault(
            name,
            "nul_byte",
            "the file holds a NUL byte",
            line=line,
            fix="export again as CSV UTF-8",
        )
    if options.encoding == "utf-8":
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            return _fault(
                name,
                "encoding",
                f"the file is not valid UTF-8 (byte 0x{data[err.start]:02x})",
                line=line,
                expected="UTF-8",
                fix=(
                    "save as 'CSV UTF-8'; if this source is always Windows-1252, declare "
                    "encoding: cp1252 for it in the parameters file"
                ),
            )
    else:
        try:
            text = data.decode(options.encoding)
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            return _fault(
                name,
                "encoding",
                f"byte 0x{data[err.start]:02x} is not {options.encoding}",
                line=line,
                expected=options.encoding,
            )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=options.delimiter, strict=True)
    rows: list[list[str | None]] = []
    lines: list[int] = []
    header: list[str] | None = None
    findings: list[Finding] = []
    try:
        record_start = 1
        for record in reader:
            if header is None:
                if not any(cell.strip() for cell in record):
                    record_start = reader.line_num + 1
                    continue
                header = record
            elif any(cell.strip() for cell in record):
                rows.append([cell if cell.strip() else None for cell in record])
                lines.append(record_start)
            record_start = reader.line_num + 1
    except csv.Error as err:
        return _fault(
            name,
            "csv_structure",
            f"the CSV cannot be read: {err}",
            line=reader.line_num,
            fix="look for a quotation mark that is opened and never closed",
        )
    if header is None:
        return _fault(name, "empty_file", "the file has no header row")
    if len(header) == 1 and options.delimiter not in header[0]:
        for other, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if other in header[0]:
                return _fault(
                    name,
                    "delimiter",
                    f"the header row is separated by {label}, not commas",
                    expected="comma-separated values",
                    fix="export as 'CSV (Comma delimited)'",
                )
    width = len(header)
    kept_rows: list[list[str | None]] = []
    kept_lines: list[int] = []
    for row, line in zip(rows, lines, strict=True):
        if len(row) != width:
            trailing_blank = len(row) > width and all(c is None for c in row[width:])
            if trailing_blank:
                row = row[:width]
            else:
                findings.append(
                    Finding(
                        file=name,
                        line=line,
                        rule="row_length",
                        message=f"the row has {len(row)} fields but the header has {width}",
                        expected=f"{width} fields",
                        fix="check for an unquoted comma or a missing field",
                    )
                )
        kept_rows.append(row)
        kept_lines.append(line)
    return RawTable(name, None, [h.strip() for h in header], kept_rows, kept_lines, findings)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


def _read_xlsx(name: str, data: bytes, options: SourceOptions) -> RawTable:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many types for a damaged workbook
        return _fault(name, "unreadable", f"the workbook cannot be opened ({type(err).__name__}: {err})")
    try:
        visible = [ws.title for ws in book.worksheets if ws.sheet_state == "visible"]
        if options.sheet is not None:
            if options.sheet not in book.sheetnames:
                return _fault(
                    name,
                    "sheet_missing",
                    f"the workbook has no sheet named {options.sheet!r}",
                    expected="one of " + ", ".join(repr(s) for s in book.sheetnames),
                )
            sheet = options.sheet
        elif visible:
            sheet = visible[0]
        else:
            return _fault(name, "sheet_missing", "the workbook has no visible sheet")
        ws = book[sheet]
        header: list[str] | None = None
        rows: list[list[str | None]] = []
        lines: list[int] = []
        for line, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if not any(c is not None for c in cells):
                continue
            if header is None:
                while cells and cells[-1] is None:
                    cells.pop()
                header = [c or "" for c in cells]
                continue
            rows.append(cells)
            lines.append(line)
    finally:
        book.close()
    if header is None:
        return RawTable(
            name,
            sheet,
            [],
            [],
            [],
            [Finding(name, "empty_file", "the sheet is empty", sheet=sheet, severity="file")],
        )
    width = len(header)
    findings: list[Finding] = []
    for i, row in enumerate(rows):
        extra = row[width:]
        if any(c is not None for c in extra):
            findings.append(
                Finding(
                    file=name,
                    sheet=sheet,
                    line=lines[i],
                    rule="row_length",
                    message=f"the row has values beyond the last header column ({width} columns)",
                    expected=f"{width} columns",
                )
            )
        else:
            rows[i] = (row + [None] * width)[:width]
    return RawTable(name, sheet, [h.strip() for h in header], rows, lines, findings)


def _read_parquet(name: str, path: Path) -> RawTable:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as err:  # pyarrow raises several types for a damaged file
        return _fault(name, "unreadable", f"the Parquet file cannot be read ({type(err).__name__}: {err})")
    columns = [[_cell_text(v) for v in table.column(i).to_pylist()] for i in range(table.num_columns)]
    rows = [list(r) for r in zip(*columns, strict=True)] if columns else []
    # Records are numbered as the same table exported to a spreadsheet would be (header on line 1).
    lines = list(range(2, len(rows) + 2))
    return RawTable(name, None, list(table.column_names), rows, lines, [])

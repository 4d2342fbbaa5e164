"""Read CSV, XLSX and Parquet exports into raw text cells, with council-export quirks handled here.

In: a file path and the declared options of its source. Out: a ``RawTable`` of header names and
columns of text cells (``None`` for an empty cell), each row with its spreadsheet line number,
plus the structural findings (file-level faults stop the run; short and long rows are
quarantined). Nothing is parsed into types here: that is ``evaluation.data.parse``.

A column stores each distinct text once, with a code per cell (``TextColumn``), so that parsing
works on the few distinct values of a column rather than on every cell. CSV is read by the
standard library's ``csv`` module, which is exact about line numbers, row lengths and quotes; a
large, well-formed file is read by pyarrow instead, after a scan of its bytes has shown that both
readers must give the same records (see ``_read_csv_fast``), and by ``csv`` otherwise.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evaluation.errors import Finding

Encoding = Literal["utf-8", "cp1252"]
SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".parquet")
# The largest input read: a participants file of a million rows is about 300 MB. A larger file is
# refused before it is read, with its size, rather than exhaust the machine's memory.
MAX_INPUT_BYTES = 2 * 1024**3
# A cell may be far longer than the csv module's default limit (128 KiB): it is read, and a text
# longer than a spreadsheet cell can hold is reported by the parser, not refused as a broken file.
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))


@dataclass(frozen=True)
class SourceOptions:
    """How one source is declared in the parameters file."""

    encoding: Encoding = "utf-8"
    sheet: str | None = None
    delimiter: str = ","
    excel_serial_dates: bool = False


@dataclass(frozen=True)
class TextColumn:
    """The text cells of one column: cell ``i`` is ``texts[codes[i]]``, or empty where the code is -1.

    ``texts`` is a pyarrow ``large_string`` array without nulls, so that a column of a million
    distinct identifiers need never become a million Python strings. Texts are usually distinct,
    so that each is parsed once however many cells hold it, but nothing depends on that: a column
    of identifiers keeps one text per cell rather than pay to find the few repeats.
    """

    codes: np.ndarray  # int32, one per row
    texts: pa.Array

    @classmethod
    def from_cells(cls, cells: Sequence[str | None]) -> TextColumn:
        codes, texts = pd.factorize(np.array(cells, dtype=object), use_na_sentinel=True)
        return cls(codes.astype(np.int32), pa.array(list(texts), type=pa.large_string()))

    @classmethod
    def empty(cls, rows: int) -> TextColumn:
        return cls(np.full(rows, -1, dtype=np.int32), pa.array([], type=pa.large_string()))

    def cells(self, rows: np.ndarray | None = None) -> np.ndarray:
        """The cells (of ``rows``, or all) as an object array, ``None`` where empty."""
        codes = self.codes if rows is None else self.codes[rows]
        taken = self.texts.take(pa.array(codes, mask=codes < 0)).to_pylist()
        return np.array(taken, dtype=object) if taken else np.array([], dtype=object)

    def first_cells(self, count: int) -> list[str]:
        """The first ``count`` cells that hold text, in row order."""
        rows = np.flatnonzero(self.codes >= 0)[:count]
        return self.texts.take(pa.array(self.codes[rows])).to_pylist()


# Python's whitespace (str.isspace, str.strip, re's \s) within ASCII; beyond ASCII, texts are
# checked by Python itself.
ASCII_SPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"


def blank_texts(texts: pa.Array) -> np.ndarray:
    """Whether each text is empty or only whitespace (``not text.strip()``)."""
    ascii_ = pc.string_is_ascii(texts).to_numpy(zero_copy_only=False)
    blank = pc.match_substring_regex(texts, f"^{ASCII_SPACE}*$").to_numpy(zero_copy_only=False) & ascii_
    other = np.flatnonzero(~ascii_)
    if len(other):
        blank[other] = [not t.strip() for t in texts.take(pa.array(other)).to_pylist()]
    return blank


@dataclass
class RawTable:
    """The cells of one file as text, before any parsing: one ``TextColumn`` per header name."""

    file: str
    sheet: str | None
    header: list[str]
    columns: list[TextColumn]
    lines: Sequence[int]
    findings: list[Finding] = field(default_factory=list)

    @property
    def file_faults(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "file"]


def columns_from_rows(rows: list[list[str | None]], width: int) -> list[TextColumn]:
    """Columns of rows cut or padded with empty cells to ``width``."""
    if not rows:
        return [TextColumn.empty(0) for _ in range(width)]
    fitted = [(r + [None] * width)[:width] if len(r) != width else r for r in rows]
    return [TextColumn.from_cells(cells) for cells in zip(*fitted, strict=True)] if width else []


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
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        return _fault(
            name,
            "file_too_large",
            f"the file is {size / 1024**3:.1f} GiB, more than the {MAX_INPUT_BYTES / 1024**3:.0f} GiB an input may be",
            expected=f"at most {MAX_INPUT_BYTES / 1024**3:.0f} GiB (a million participants is about 0.3 GiB)",
            fix="check the export holds one table of the programme's data only; split it by year if it does",
        )
    data = path.read_bytes()
    if not data or (data[:1].isspace() and not data.strip()):
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
    return RawTable(file=file, sheet=None, header=[], columns=[], lines=[], findings=[finding])


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
            if not data.isascii():  # ASCII is UTF-8; the text itself is decoded only where needed
                data.decode("utf-8")
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
            data = data.decode(options.encoding).encode("utf-8")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            return _fault(
                name,
                "encoding",
                f"byte 0x{data[err.start]:02x} is not {options.encoding}",
                line=line,
                expected=options.encoding,
            )
    fast = _read_csv_fast(data, options.delimiter)
    if fast is None:
        exact = _read_csv_exact(name, data.decode("utf-8"), options.delimiter)
        if isinstance(exact, RawTable):
            return exact
        fast = exact
    header, regular, regular_lines, odd_rows, odd_lines = fast
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
    findings: list[Finding] = []
    kept_rows: list[list[str | None]] = []
    for row, line in zip(odd_rows, odd_lines, strict=True):
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
    columns, lines = _merge_rows(regular, regular_lines, columns_from_rows(kept_rows, width), odd_lines)
    # Exactly on the limit: an export cut off by Excel. More lines than that cannot have come from
    # one worksheet (a 10-million-row pool from a database is fine).
    if len(lines) and int(lines[-1]) == EXCEL_MAX_ROWS:
        findings.append(_row_limit(name, int(lines[-1])))
    return RawTable(name, None, [h.strip() for h in header], columns, lines, findings)


# What a CSV reader returns before the header is checked: the header (None if there is none),
# the columns of rows with as many fields as the header and their lines, then every other row as
# a list of cells with its line.
_Records = tuple[list[str] | None, list[TextColumn], np.ndarray, list[list[str | None]], list[int]]


def _read_csv_exact(name: str, text: str, delimiter: str) -> _Records | RawTable:
    """Every record by the csv module; a ``RawTable`` holding the fault if the file cannot be read."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list[str | None]] = []
    lines: list[int] = []
    header: list[str] | None = None
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
    width = len(header) if header is not None else 0
    return header, [TextColumn.empty(0) for _ in range(width)], np.array([], dtype=np.int64), rows, lines


def _read_csv_fast(data: bytes, delimiter: str) -> _Records | None:
    """The records of a well-formed UTF-8 CSV read by pyarrow, or None if the csv module must read it.

    pyarrow is trusted only where a scan of the bytes shows that it and the csv module (strict,
    quotes doubled inside quoted fields) must find the same records: every carriage return ends
    a line with a line feed, every quotation mark opens a field, closes it, or is one of a doubled
    pair inside it (so a line feed or delimiter is inside a quoted field exactly when an odd
    number of marks precede it), and no record is longer than the csv module's field limit.
    Records then start after each line feed outside quotes; a record's line is one more than the
    line feeds before it, as the csv module counts. Rows whose number of fields differs from the
    header's are set aside by pyarrow and read again by the csv module, so that the row-length
    rules see exactly what the csv module would give them.
    """
    if len(delimiter) != 1 or not delimiter.isascii() or delimiter in '"\r\n':
        return None
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return None
    a = np.frombuffer(data, dtype=np.uint8)
    sep = ord(delimiter)
    quotes, newlines = _positions(a, 0x22), _positions(a, 0x0A)
    if len(quotes) % 2 or not _quotes_well_placed(a, quotes, sep):
        return None
    quoted_newline = np.searchsorted(quotes, newlines) % 2 == 1
    ends = newlines[~quoted_newline]
    starts = np.concatenate(([0], ends + 1))
    stops = np.concatenate((ends, [len(a)]))
    crlf = stops[:-1] > starts[:-1]
    crlf[crlf] = a[stops[:-1][crlf] - 1] == 0x0D
    stops[:-1] -= crlf
    if len(stops) and int((stops - starts).max()) > csv.field_size_limit():
        return None
    lines = 1 + np.searchsorted(newlines, starts)
    filled = np.flatnonzero(stops > starts)  # empty records are skipped, as the csv module skips them
    header: list[str] | None = None
    for n, k in enumerate(filled):
        record = _csv_record(data[starts[k] : stops[k]], delimiter)
        if record is None:
            return None
        if any(cell.strip() for cell in record):
            header, filled = record, filled[n + 1 :]
            break
    if header is None:
        return None
    width = len(header)
    if not len(filled):
        return header, [TextColumn.empty(0) for _ in range(width)], np.zeros(0, dtype=np.int64), [], []
    table, invalid = _pyarrow_csv(data, starts[filled[0]], width, delimiter, quoted_newline.any())
    if table is None:
        return None
    odd = np.zeros(len(filled), dtype=bool)
    if invalid:
        odd = _field_counts(a, quotes, starts[filled], sep) != width
        if int(odd.sum()) != invalid:
            return None
    if table.num_rows != len(filled) - int(odd.sum()):
        return None
    columns, blank_rows = _arrow_columns(table, width)
    keep = ~blank_rows
    regular = columns if keep.all() else [TextColumn(c.codes[keep], c.texts) for c in columns]
    odd_rows: list[list[str | None]] = []
    odd_lines: list[int] = []
    for k in filled[odd]:
        record = _csv_record(data[starts[k] : stops[k]], delimiter)
        if record is None:
            return None
        if any(cell.strip() for cell in record):
            odd_rows.append([cell if cell.strip() else None for cell in record])
            odd_lines.append(int(lines[k]))
    regular_lines = lines[filled[~odd]] if keep.all() else lines[filled[~odd]][keep]
    return header, regular, regular_lines, odd_rows, odd_lines


def _positions(a: np.ndarray, byte: int, block: int = 1 << 23) -> np.ndarray:
    """Offsets of every ``byte`` in ``a``, found a block at a time to spare memory."""
    found = [np.flatnonzero(a[i : i + block] == byte) + i for i in range(0, len(a), block)]
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _quotes_well_placed(a: np.ndarray, quotes: np.ndarray, sep: int) -> bool:
    """Every quotation mark opens a field, closes one, or is one of a doubled pair within one.

    Marks are paired in order: an opening mark (even position in the list) must start a field or
    follow the closing mark of a pair directly (a doubled mark); a closing mark must end a field
    or be followed directly by the next opening mark.
    """
    if not len(quotes):
        return True
    last = len(a) - 1
    opening, closing = quotes[0::2], quotes[1::2]
    before = np.where(opening > 0, a[np.maximum(opening - 1, 0)], 0x0A)
    after = np.where(closing < last, a[np.minimum(closing + 1, last)], 0x0A)
    doubled_before = opening - 1 == np.concatenate(([-2], closing[:-1]))
    doubled_after = closing + 1 == np.concatenate((opening[1:], [-2]))
    ok_open = (before == sep) | (before == 0x0A) | doubled_before
    ok_close = (after == sep) | (after == 0x0A) | (after == 0x0D) | doubled_after
    return bool(ok_open.all() and ok_close.all())


def _csv_record(raw: bytes, delimiter: str) -> list[str] | None:
    """One record read by the csv module (None if it cannot be read)."""
    try:
        reader = csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), delimiter=delimiter, strict=True)
        return next(reader, [])
    except csv.Error:
        return None


def _pyarrow_csv(data: bytes, body: int, width: int, delimiter: str, quoted_newlines: bool):
    """The records from byte ``body`` on, all as text; rows of another width are skipped and counted."""
    import pyarrow.csv as pacsv

    skipped = 0

    def skip(_row: object) -> str:
        nonlocal skipped
        skipped += 1
        return "skip"

    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(memoryview(data)[body:])),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=bool(quoted_newlines),
                ignore_empty_lines=True,
                invalid_row_handler=skip,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,  # the bytes were checked, or made, as UTF-8 before
            ),
        )
    except (pa.ArrowException, ValueError):
        return None, 0
    return table, skipped


def _field_counts(a: np.ndarray, quotes: np.ndarray, starts: np.ndarray, sep: int) -> np.ndarray:
    """Fields in each record beginning at ``starts`` (well-placed quotes; records in order)."""
    is_sep = (a == sep).view(np.uint8)
    counts = np.add.reduceat(is_sep, starts, dtype=np.int64) if len(starts) else np.zeros(0, np.int64)
    if len(quotes):
        quoted = np.add.reduceat(is_sep, quotes, dtype=np.int64)[0::2]  # delimiters inside quotes
        record = np.searchsorted(starts, quotes[0::2], side="right") - 1
        inside = record >= 0
        counts -= np.bincount(record[inside], weights=quoted[inside], minlength=len(starts)).astype(np.int64)
    return counts + 1


def _arrow_columns(table: pa.Table, width: int) -> tuple[list[TextColumn], np.ndarray]:
    """Text columns of a pyarrow table (blank cells empty) and the mask of rows with no value."""
    columns: list[TextColumn] = []
    blank_rows = np.ones(table.num_rows, dtype=bool)
    for i in range(width):
        column = table.column(i)
        if column.nbytes > 2**31 - 2**24:  # beyond the 32-bit offsets of one string array
            column = column.cast("large_string")
        column = column.combine_chunks()
        sample = column[: min(len(column), 1 << 16)]
        if len(sample) and len(pc.unique(sample)) > len(sample) // 2:
            # Mostly distinct (identifiers): each cell is its own text; texts need not be distinct.
            texts, codes = column.cast(pa.large_string()), np.arange(len(column), dtype=np.int32)
        else:
            encoded = column.dictionary_encode()
            texts = encoded.dictionary.cast(pa.large_string())
            codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
        blank = blank_texts(texts)
        if blank.any():
            renumber = np.where(blank, -1, np.cumsum(~blank) - 1).astype(np.int32)
            codes, texts = renumber[codes], texts.filter(pa.array(~blank))
        blank_rows &= codes < 0
        columns.append(TextColumn(codes, texts))
    return columns, blank_rows


def _merge_rows(
    regular: list[TextColumn], regular_lines: np.ndarray, odd: list[TextColumn], odd_lines: list[int]
) -> tuple[list[TextColumn], np.ndarray | list[int]]:
    """The two sets of rows as one, in line order."""
    if not odd_lines:
        return regular, regular_lines
    if not len(regular_lines):
        return odd, odd_lines
    lines = np.concatenate((regular_lines, np.asarray(odd_lines, dtype=np.int64)))
    order = np.argsort(lines, kind="stable")
    merged = []
    for r, o in zip(regular, odd, strict=True):
        odd_codes = np.where(o.codes >= 0, o.codes + len(r.texts), -1).astype(np.int32)
        codes = np.concatenate((r.codes, odd_codes))
        merged.append(TextColumn(codes[order], pa.concat_arrays([r.texts, o.texts])))
    return merged, lines[order]


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


_XML_PREFIX = r"(?:[A-Za-z_][\w.-]*:)?"
_MERGE = re.compile(rb"<" + _XML_PREFIX.encode() + rb'mergeCell\b[^>]*\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_HIDDEN_ROW = re.compile(rb"<" + _XML_PREFIX.encode() + rb"row\b([^>]*)>")
_FORMULA_NO_VALUE = re.compile(
    rb"<(" + _XML_PREFIX.encode() + rb')c\b[^>]*\br="([A-Z]+)(\d+)"[^>]*>\s*'
    rb"<" + _XML_PREFIX.encode() + rb"f\b[^>]*?(?:/>|>(.*?)</" + _XML_PREFIX.encode() + rb"f>)\s*"
    rb"(?:<"
    + _XML_PREFIX.encode()
    + rb"v\s*/>|<"
    + _XML_PREFIX.encode()
    + rb"v>\s*</"
    + _XML_PREFIX.encode()
    + rb"v>)?\s*"
    rb"</\1c>",
    re.S,
)
EXCEL_MAX_ROWS = 1_048_576  # rows on one Excel worksheet, header included


def column_number(letters: str) -> int:
    """1 for column A, 27 for AA."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


@dataclass
class _SheetFacts:
    """What openpyxl's read-only mode does not give: merged ranges, hidden rows, formula cells
    without a saved result (found in the sheet's XML, a block of whole rows at a time)."""

    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # first col, row, last col, row
    hidden_rows: set[int] = field(default_factory=set)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # (line, column number): formula


def _sheet_facts(ws: object) -> _SheetFacts:
    facts = _SheetFacts()

    def scan(block: bytes) -> None:
        for m in _MERGE.finditer(block):
            facts.merges.append(
                (column_number(m[1].decode()), int(m[2]), column_number(m[3].decode()), int(m[4]))
            )
        for m in _HIDDEN_ROW.finditer(block):
            attrs = m[1]
            if re.search(rb'\bhidden="(1|true)"', attrs):
                r = re.search(rb'\br="(\d+)"', attrs)
                if r:
                    facts.hidden_rows.add(int(r[1]))
        for m in _FORMULA_NO_VALUE.finditer(block):
            formula = (m[4] or b"").decode("utf-8", "replace")
            facts.formulas[(int(m[3]), column_number(m[2].decode()))] = formula

    source = ws._get_source()  # type: ignore[attr-defined]
    try:
        carry = b""
        while chunk := source.read(1 << 23):
            carry += chunk
            cut = carry.rfind(b"</row>")
            if cut < 0:
                continue
            scan(carry[: cut + 6])
            carry = carry[cut + 6 :]
        scan(carry)
    finally:
        source.close()
    return facts


def _letters(number: int) -> str:
    out = ""
    while number:
        number, rest = divmod(number - 1, 26)
        out = chr(65 + rest) + out
    return out


def _read_xlsx(name: str, data: bytes, options: SourceOptions) -> RawTable:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many types for a damaged workbook
        return _fault(name, "unreadable", f"the workbook cannot be opened ({type(err).__name__}: {err})")
    findings: list[Finding] = []
    try:
        visible = [ws.title for ws in book.worksheets if ws.sheet_state == "visible"]
        hidden = [ws.title for ws in book.worksheets if ws.sheet_state != "visible"]
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
        for title in hidden:
            findings.append(
                Finding(
                    file=name,
                    sheet=title,
                    rule="hidden_sheet",
                    message=(
                        f"the sheet {title!r} is hidden in the workbook"
                        + (
                            "; it is the sheet declared, and was read"
                            if title == sheet
                            else "; it was not read"
                        )
                    ),
                    fix="check that the data you mean to supply is on the sheet read, and delete sheets you do not",
                    severity="warning",
                )
            )
        ws = book[sheet]
        facts = _sheet_facts(ws)
        header: list[str] | None = None
        header_line = 0
        skipped: dict[int, list[str | None]] = {}
        spans = {row for c0, r0, c1, r1 in facts.merges if c1 > c0 for row in range(r0, r1 + 1)}
        rows: list[list[str | None]] = []
        lines: list[int] = []
        for line, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if not any(c is not None for c in cells):
                continue
            if header is None:
                if line in spans and line <= 20:
                    skipped[line] = cells  # a merged heading above the column names
                    continue
                while cells and cells[-1] is None:
                    cells.pop()
                header = [c or "" for c in cells]
                header_line = line
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
            [*findings, Finding(name, "empty_file", "the sheet is empty", sheet=sheet, severity="file")],
        )
    for line, cells in skipped.items():
        ranges = [
            f"{_letters(c0)}{r0}:{_letters(c1)}{r1}" for c0, r0, c1, r1 in facts.merges if r0 <= line <= r1
        ]
        findings.append(
            Finding(
                file=name,
                sheet=sheet,
                line=line,
                rule="merged_header",
                message=(
                    f"line {line} is a merged heading above the column names (cells {', '.join(ranges)} "
                    f"merged); it was skipped and the column names read from line {header_line}"
                ),
                fix="keep one header row of column names at the top of the sheet, without merged cells",
                severity="warning",
            )
        )
        # A column name written once in a cell merged down over the header rows sits above it.
        for c0, r0, _c1, r1 in facts.merges:
            if r0 == line and r1 >= header_line and c0 - 1 < len(cells) and cells[c0 - 1]:
                while len(header) < c0:
                    header.append("")
                if not header[c0 - 1]:
                    header[c0 - 1] = cells[c0 - 1] or ""
    width = len(header)
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
    for line in sorted(facts.hidden_rows & set(lines)):
        findings.append(
            Finding(
                file=name,
                sheet=sheet,
                line=line,
                rule="hidden_row",
                message="the row is hidden in the workbook; it was read like every other row",
                fix="delete rows that are not data rather than hiding them",
                severity="warning",
            )
        )
    data_lines = set(lines)
    for (line, col), formula in sorted(facts.formulas.items()):
        if line not in data_lines:
            continue
        findings.append(
            Finding(
                file=name,
                sheet=sheet,
                line=line,
                column=header[col - 1] if col <= width and header[col - 1] else _letters(col),
                rule="formula_no_value",
                message="the cell holds a formula with no saved result, so its value is unknown",
                value=("=" + formula)[:80],
                expected="a value",
                fix="open the workbook in Excel and save it (so formulas are calculated), or paste values",
            )
        )
    if lines and lines[-1] >= EXCEL_MAX_ROWS:
        findings.append(_row_limit(name, lines[-1], sheet))
    return RawTable(name, sheet, [h.strip() for h in header], columns_from_rows(rows, width), lines, findings)


def _row_limit(name: str, last_line: int, sheet: str | None = None) -> Finding:
    return Finding(
        file=name,
        sheet=sheet,
        line=last_line,
        rule="excel_row_limit",
        message=(
            f"the last row is on line {last_line:,}, Excel's limit of {EXCEL_MAX_ROWS:,} rows: "
            "the export was probably cut off when the file was saved from Excel, and rows are missing"
        ),
        expected=f"the whole table: a last row before line {EXCEL_MAX_ROWS:,}, or a file not saved from Excel",
        fix="export from the source system directly as CSV or Parquet, or split the table",
        severity="file",
    )


def _read_parquet(name: str, path: Path) -> RawTable:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as err:  # pyarrow raises several types for a damaged file
        return _fault(name, "unreadable", f"the Parquet file cannot be read ({type(err).__name__}: {err})")
    columns = [_parquet_column(table.column(i)) for i in range(table.num_columns)]
    # Records are numbered as the same table exported to a spreadsheet would be (header on line 1).
    lines = list(range(2, table.num_rows + 2)) if columns else []
    return RawTable(name, None, list(table.column_names), columns, lines, [])


def _parquet_column(column: pa.ChunkedArray) -> TextColumn:
    """A Parquet column as text; a text column's distinct values are converted once each."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return TextColumn.from_cells([_cell_text(v) for v in column.to_pylist()])
    encoded = column.combine_chunks().dictionary_encode()
    texts = [_cell_text(v) for v in encoded.dictionary.to_pylist()]
    kept = np.array([t is not None for t in texts], dtype=bool)
    renumber = np.append(np.where(kept, np.cumsum(kept) - 1, -1), -1).astype(np.int32)  # last: a null
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return TextColumn(renumber[codes], pa.array([t for t in texts if t is not None], type=pa.large_string()))

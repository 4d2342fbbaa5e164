"""Phase one of validation: turn every text cell into its declared type, or say why it cannot be.

In: a ``RawTable`` and its ``TableSchema``. Out: a typed frame indexed by spreadsheet line, where
a cell that failed to parse is missing, and one finding per failed cell. Every cell is tried, so
one bad value never hides another; rules on parsed values are phase two (``validate``).

Each distinct text of a column is parsed once and the result given to every cell holding it
(exports repeat the same categories, flags and dates many times); a finding is still made for
every cell that fails, in line order.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evaluation.data import vocab
from evaluation.data.identifiers import IDENTIFIER_SAMPLE, identifier_columns, redact_free_text
from evaluation.data.readers import ASCII_SPACE, RawTable, SourceOptions, TextColumn, normalise_header
from evaluation.data.schemas import Column, TableSchema
from evaluation.errors import Finding

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0"})
EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # the 1900 date system, after Excel's leap-year bug
DATE_DTYPE = "datetime64[s]"
_EXACT_FLOAT_INT = 2**53  # whole numbers below this survive any float or integer path unchanged


@dataclass
class ParsedTable:
    """Typed cells of one file (index: spreadsheet line) and the findings of parsing it."""

    file: str
    sheet: str | None
    frame: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    text: dict[str, TextColumn] = field(default_factory=dict)  # the cells as read, by column

    @property
    def file_faults(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "file"]

    @property
    def raw(self) -> pd.DataFrame:
        """The text cells as read (``None`` where empty), same index as ``frame``."""
        if not self.text:
            return pd.DataFrame()
        return pd.DataFrame(
            {n: c.cells() for n, c in self.text.items()}, index=self.frame.index, dtype=object
        )

    def raw_rows(self, lines: pd.Index) -> pd.DataFrame:
        """``raw.loc[lines]``, made from those rows only (for the quarantine file)."""
        rows = self.frame.index.get_indexer(lines) if self.text else np.array([-1])
        if (rows < 0).any():
            return self.raw.loc[lines]
        cells = {n: c.cells(rows) for n, c in self.text.items()}
        return pd.DataFrame(cells, index=self.frame.index[rows], dtype=object).loc[lines]


def _show(col: Column, value: str) -> str:
    return "[redacted]" if col.sensitive else value


def parse_table(raw: RawTable, schema: TableSchema, options: SourceOptions | None = None) -> ParsedTable:
    """Parse every cell of ``raw`` against ``schema``; structural faults become file findings."""
    options = options or SourceOptions()
    findings = list(raw.findings)
    empty = pd.DataFrame()
    if raw.file_faults:
        return ParsedTable(raw.file, raw.sheet, empty, findings)

    keys = [normalise_header(h) for h in raw.header]
    seen: dict[str, str] = {}
    for original, key in zip(raw.header, keys, strict=True):
        if key and key in seen:
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
    rows = len(raw.lines)
    columns = raw.columns or [TextColumn.empty(rows) for _ in keys]
    index = pd.Index(np.asarray(raw.lines, dtype=np.int64) if rows else [], name="line")
    free = {c.name for c in schema.columns if c.free_text}
    samples = [c.first_cells(IDENTIFIER_SAMPLE) for c in columns]
    findings += identifier_columns(raw.file, raw.header, samples, free_text=free)
    missing = [c.name for c in schema.columns if c.required and c.name not in keys]
    if missing:
        below = _header_below(columns, raw.lines, set(missing))
        findings.append(
            Finding(
                file=raw.file,
                sheet=raw.sheet,
                line=1,
                rule="missing_columns",
                message="required columns are missing: " + ", ".join(missing),
                expected="the columns of the data contract (docs/data-dictionary.md)",
                fix=(
                    f"the column names are on line {below}: delete the title or heading rows above them"
                    if below
                    else "add the columns, or check the header row is the first row of the sheet"
                ),
                severity="file",
            )
        )
    known = set(schema.names)
    unnamed = [i for i in blank if (columns[i].codes >= 0).any()]
    if unnamed:
        findings.append(
            Finding(
                raw.file,
                "blank_header",
                f"{len(unnamed)} column(s) with values have no header (column number "
                + ", ".join(str(i + 1) for i in unnamed[:10])
                + (", ..." if len(unnamed) > 10 else "")
                + ")",
                sheet=raw.sheet,
                line=1,
                fix="give every column a name in the header row",
                severity="file",
            )
        )
    for i, key in enumerate(keys):
        if i in blank:
            continue
        if key not in known and not any(f.column == raw.header[i] for f in findings):
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
        return ParsedTable(raw.file, raw.sheet, empty, findings)

    position = {k: i for i, k in reversed(list(enumerate(keys)))}
    source = {
        col.name: columns[position[col.name]] if col.name in position else TextColumn.empty(rows)
        for col in schema.columns
    }
    typed: dict[str, object] = {}
    for col in schema.columns:
        values, col_findings = _parse_text(
            source[col.name], index, col, options, file=raw.file, sheet=raw.sheet
        )
        findings += col_findings
        if col.free_text:
            values, redactions = redact_free_text(raw.file, col.name, pd.Series(values, index=index))
            values = values.array
            findings += redactions
        typed[col.name] = values
    return ParsedTable(raw.file, raw.sheet, pd.DataFrame(typed, index=index), findings, source)


def _header_below(columns: list[TextColumn], lines, missing: set[str], look: int = 10) -> int | None:
    """The line of a row among the first few that holds every missing column name (a header
    pushed down by title rows), or None."""
    for i in range(min(look, len(lines))):
        names = {normalise_header(str(c.cells(np.array([i]))[0] or "")) for c in columns}
        if missing <= names:
            return int(lines[i])
    return None


def parse_column(
    values: pd.Series, col: Column, options: SourceOptions, *, file: str, sheet: str | None = None
) -> tuple[pd.Series, list[Finding]]:
    """Parse one column of text cells into its kind; one finding per cell that fails."""
    cells = [v if isinstance(v, str) else None for v in values.astype(object)]
    parsed, findings = _parse_text(
        TextColumn.from_cells(cells), values.index, col, options, file=file, sheet=sheet
    )
    return pd.Series(parsed, index=values.index), findings


class _Distinct:
    """A column's distinct texts, cleaned: each per-text array has one more entry, for empty cells,
    so that indexing it with the cells' codes (-1 for empty) gives the value of every cell.

    Cleaning turns runs of whitespace into one space and trims the ends. A "plain" text (ASCII
    without whitespace) is its own cleaned text, and its casefold is its ASCII lower case, so
    plain texts are judged in pyarrow without becoming Python strings; any other text is cleaned
    by Python. ``text`` (every cleaned text as a Python string) is made only when asked for.
    """

    def __init__(self, column: TextColumn, lines: pd.Index) -> None:
        self.codes = column.codes
        self.lines = lines
        self.texts = column.texts
        n = len(self.texts)
        ascii_ = pc.string_is_ascii(self.texts).to_numpy(zero_copy_only=False)
        spaced = pc.match_substring_regex(self.texts, ASCII_SPACE).to_numpy(zero_copy_only=False)
        self.plain = ascii_ & ~spaced
        self.all_plain = bool(self.plain.all())
        markers = pa.array(sorted(vocab.MISSING_MARKERS), type=pa.large_string())
        marker = pc.is_in(pc.ascii_lower(self.texts), value_set=markers).to_numpy(zero_copy_only=False)
        self.present = np.append(~marker, False)
        self.refused = np.zeros(n + 1, dtype=bool)  # a plain text has no spaces, so is no refusal
        self._cleaned = {
            int(i): " ".join(t.split())  # str.split() splits where re's \s and str.strip() see space
            for i, t in zip(
                np.flatnonzero(~self.plain),
                self.texts.take(pa.array(np.flatnonzero(~self.plain))).to_pylist(),
                strict=True,
            )
        }
        for i, t in self._cleaned.items():
            folded = t.casefold()
            self.present[i] = folded not in vocab.MISSING_MARKERS
            self.refused[i] = self.present[i] and folded == _REFUSAL
        self._text: list[str] | None = None

    @property
    def text(self) -> list[str]:
        if self._text is None:
            self._text = self.texts.to_pylist()
            for i, t in self._cleaned.items():
                self._text[i] = t
        return self._text

    def text_of(self, code: int) -> str:
        return self._cleaned[code] if code in self._cleaned else self.texts[code].as_py()

    def per_text(self, values: list, empty: object = None) -> np.ndarray:
        """An object array of one value per distinct text, plus ``empty`` for empty cells."""
        out = np.empty(len(values) + 1, dtype=object)
        out[:-1] = values
        out[-1] = empty
        return out

    def cells(self, per_text: np.ndarray) -> np.ndarray:
        return per_text[self.codes]

    def strings(self, per_text: pa.Array, keep: np.ndarray) -> pd.api.extensions.ExtensionArray:
        """The "string" array of the cells from one text per distinct text, missing where not kept."""
        kept = pc.if_else(pa.array(keep[:-1]), per_text, pa.scalar(None, pa.large_string()))
        taken = kept.take(pa.array(self.codes, mask=self.codes < 0))
        return pd.arrays.ArrowStringArray(taken)  # the "string" dtype, as astype("string") gives

    def failing(self, bad: np.ndarray) -> list[tuple[int, int]]:
        """(line, text number) of every cell whose text is marked bad, in line order."""
        rows = np.flatnonzero(bad[self.codes])
        return [(int(self.lines[r]), int(self.codes[r])) for r in rows]


_REFUSAL = vocab.PREFER_NOT_TO_SAY.casefold()


def _parse_text(
    column: TextColumn, lines: pd.Index, col: Column, options: SourceOptions, *, file: str, sheet: str | None
) -> tuple[object, list[Finding]]:
    """The typed values of one column (an array for the frame) and one finding per failed cell."""
    d = _Distinct(column, lines)
    present = d.present
    allows_refusal = col.allowed is not None and vocab.PREFER_NOT_TO_SAY in col.allowed
    if not allows_refusal:
        present = present & ~d.refused  # "Prefer not to say" where no answer is recorded: missing
    findings: list[Finding] = []

    def bad(
        mask: np.ndarray,
        message: str,
        expected: str,
        fix: str | None = None,
        rule: str | None = None,
        severity: str = "row",
    ) -> None:
        for line, code in d.failing(mask):
            value = d.text_of(code)
            findings.append(
                Finding(
                    file=file,
                    sheet=sheet,
                    line=line,
                    column=col.name,
                    rule=rule or f"parse_{col.kind}",
                    message=message if "{" not in message else message.format(value=value),
                    value=_show(col, str(value)),
                    expected=expected,
                    fix=fix,
                    severity=severity,
                )
            )

    def text_array(per_text: list, keep: np.ndarray) -> object:
        return d.strings(pa.array(per_text, type=pa.large_string()), keep)

    if col.kind == "text":
        return _parse_free_or_plain_text(d, present, col, bad, findings)

    if col.kind in ("id", "code") and d.all_plain:
        # Every text is plain (ASCII without whitespace): judged in pyarrow, where str.upper is
        # ascii_upper and re's \d is [0-9].
        keep = present
        if col.kind == "id":
            sci = pc.match_substring_regex(d.texts, "^[0-9](\\.[0-9]+)?[eE][+-]?[0-9]+$")
            sci = present & np.append(sci.to_numpy(zero_copy_only=False), False)
            bad(
                sci,
                "the identifier is in scientific notation, so Excel has changed it",
                "the identifier as text",
                "format the column as Text before saving",
                rule="id_scientific",
            )
            keep = present & ~sci & ~_lost_leading_zeros(d, present & ~sci, bad)
        return d.strings(pc.ascii_upper(d.texts) if col.kind == "code" else d.texts, keep), findings

    if col.kind in ("id", "code"):
        values = [t.upper() for t in d.text] if col.kind == "code" else d.text
        keep = present
        if col.kind == "id":
            sci = present & np.array([bool(_SCIENTIFIC.fullmatch(t)) for t in d.text] + [False])
            bad(
                sci,
                "the identifier is in scientific notation, so Excel has changed it",
                "the identifier as text",
                "format the column as Text before saving",
                rule="id_scientific",
            )
            keep = present & ~sci & ~_lost_leading_zeros(d, present & ~sci, bad)
        return text_array(values, keep), findings

    if col.kind in ("category", "list"):
        lookup = {a.casefold(): a for a in col.allowed or ()}
        if col.kind == "category":
            mapped = [lookup.get(t.casefold()) for t in d.text]
            shown = ", ".join(col.allowed or ())
            expected = f"one of: {shown}" if len(shown) < 400 else "a category in the data dictionary"
            message = "the value is not one of the allowed categories"
        else:
            order = col.allowed or ()
            mapped = [_to_list(t, lookup, order) for t in d.text]
            expected = "items from: " + ", ".join(order) + ", separated by ';'"
            message = "an item is not one of the allowed values"
        unknown = present & np.array([m is None for m in mapped] + [True])
        bad(unknown, message, expected, rule="category")
        return text_array(mapped, present & ~unknown), findings

    if col.kind == "bool":
        truth = [
            True if t.casefold() in TRUE_WORDS else False if t.casefold() in FALSE_WORDS else None
            for t in d.text
        ]
        known = np.array([v is not None for v in truth] + [False])
        unknown = present & ~known
        bad(unknown, "the value is not yes or no", "Yes or No (also Y/N, True/False, 1/0)")
        values = np.array([v is True for v in truth] + [False])
        keep = (present & known)[d.codes]
        return pd.arrays.BooleanArray(values[d.codes] & keep, ~keep), findings

    if col.kind in ("int", "float", "money"):
        return _parse_numbers(d, present, col, bad, findings)

    if col.kind == "date":
        return _parse_dates(d, present, col, options, file=file, sheet=sheet)

    raise ValueError(f"unknown column kind {col.kind!r}")  # a programming error, not user input


_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE][+-]?\d+")
# Longest text a spreadsheet cell holds; a longer cell is not a value anyone typed.
MAX_CELL_CHARS = 32_767
_CONTROL = "[\\x00-\\x08\\x0e-\\x1b\\x7f\\x{80}-\\x{9f}]"
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1b\x7f\x80-\x9f]")
_FORMULA_START = "^(=|[+@-].*[(!|])"
_MARKUP = "<\\s*/?\\s*[A-Za-z!?][^>]*>"
_MOJIBAKE_HINT = re.compile(
    "[\u00c2\u00c3\u00e2\u00c5][\u0080-\u00bf\u0152-\u0178\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
)


def _unmojibake(text: str) -> str | None:
    """The text as it was before UTF-8 bytes were read as Windows-1252 and saved again, or None
    if it does not look garbled that way."""
    if not _MOJIBAKE_HINT.search(text):
        return None
    try:
        fixed = text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return None
    return fixed if fixed != text else None


def _lost_leading_zeros(d: _Distinct, present: np.ndarray, bad) -> np.ndarray:
    """Per text: a numeric identifier shorter than the column's usual numeric length, where that
    length has leading zeros, so that Excel has probably dropped its zeros (0012303 -> 12303)."""
    out = np.zeros(len(d.texts) + 1, dtype=bool)
    digits = np.append(pc.match_substring_regex(d.texts, "^[0-9]+$").to_numpy(zero_copy_only=False), False)
    digits &= present
    cells = digits[d.codes]
    if not cells.any() or cells.sum() * 2 < present[d.codes].sum():
        return out
    lengths = np.append(pc.utf8_length(d.texts).to_numpy(zero_copy_only=False), 0)
    counts = np.bincount(lengths[d.codes][cells])
    usual = int(counts.argmax())
    if counts[usual] * 2 < cells.sum():
        return out
    zero = np.append(pc.starts_with(d.texts, "0").to_numpy(zero_copy_only=False), False)
    if not (digits & zero & (lengths == usual)).any():
        return out
    out = digits & (lengths < usual)
    bad(
        out,
        f"the identifier is shorter than the column's others ({usual} digits): "
        "its leading zeros were probably lost when the file passed through Excel",
        f"{usual} digits, leading zeros kept",
        "format the column as Text before saving, or export it from the source system again",
        rule="id_leading_zeros",
    )
    return out


def _parse_free_or_plain_text(d: _Distinct, present: np.ndarray, col: Column, bad, findings) -> tuple:
    """Text: kept as written, but a control character, a garbled encoding, a spreadsheet formula,
    HTML markup or a text longer than a cell can hold is a fault of the row, except in free-text
    notes, which are never published: there control characters are removed and an over-long
    note is cut, each with a warning, and formulas and markup are kept as inert text with one."""

    def flag(per_text) -> np.ndarray:
        return np.append(np.asarray(per_text, dtype=bool), False) & present

    control = flag(pc.match_substring_regex(d.texts, _CONTROL).to_numpy(zero_copy_only=False))
    formula = flag(pc.match_substring_regex(d.texts, _FORMULA_START).to_numpy(zero_copy_only=False))
    markup = flag(pc.match_substring_regex(d.texts, _MARKUP).to_numpy(zero_copy_only=False))
    long_ = flag(pc.greater(pc.utf8_length(d.texts), MAX_CELL_CHARS).to_numpy(zero_copy_only=False))
    ascii_ = np.append(pc.string_is_ascii(d.texts).to_numpy(zero_copy_only=False), True)
    fixed: dict[int, str] = {}
    if not ascii_.all():
        for i in np.flatnonzero(~ascii_[:-1] & present[:-1]):
            repaired = _unmojibake(d.text_of(int(i)))
            if repaired is not None:
                fixed[int(i)] = repaired
    garbled = np.zeros(len(present), dtype=bool)
    garbled[list(fixed)] = True
    severity = "warning" if col.free_text else "row"
    where = "in a note" if col.free_text else "in this column"
    bad(
        control,
        f"the text holds a control character, which has no place {where}"
        + ("; it was removed" if col.free_text else ""),
        "printable text",
        "export the file again; check the source system for pasted terminal or binary text",
        rule="control_character",
        severity=severity,
    )
    for i in np.flatnonzero(garbled):
        bad(
            np.arange(len(garbled)) == i,
            f"the text looks garbled by a wrong encoding: it probably reads {fixed[int(i)]!r}",
            "text saved once as UTF-8",
            "export from the source as 'CSV UTF-8' and do not open and re-save it as another encoding",
            rule="mojibake",
            severity=severity,
        )
    kept = "; kept as inert text, and notes are never published" if col.free_text else ""
    for mask, message, expected, fix, rule in (
        (
            formula,
            "the text starts like a spreadsheet formula ('=', '+', '-' or '@')" + kept,
            "plain text",
            "remove the leading symbol; a name or note is never a formula",
            "formula_text",
        ),
        (
            markup,
            "the text holds HTML or other markup" + kept,
            "plain text",
            "remove the markup; it may have been pasted from a web page or email",
            "markup_text",
        ),
        (
            long_,
            f"the text is longer than a spreadsheet cell can hold ({MAX_CELL_CHARS:,} characters)"
            + ("; it was cut to that length" if col.free_text else ""),
            f"at most {MAX_CELL_CHARS:,} characters",
            "check the export for a cell that swallowed other rows (an unclosed quotation mark)",
            "long_text",
        ),
    ):
        bad(mask, message, expected, fix, rule=rule, severity=severity)
    if col.free_text and (control.any() or long_.any()):
        texts = list(d.text)
        for i in np.flatnonzero((control | long_)[:-1]):
            texts[i] = _CONTROL_RE.sub("", texts[i])[:MAX_CELL_CHARS]
        return d.strings(pa.array(texts, type=pa.large_string()), present), findings
    if d.all_plain:
        return d.strings(d.texts, present), findings
    return d.strings(pa.array(d.text, type=pa.large_string()), present), findings


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_WHOLE = re.compile(r"[+-]?\d+(\.0+)?")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _to_list(text: str, lookup: dict[str, str], order: tuple[str, ...]) -> str | None:
    items = [p.strip() for p in text.split(";") if p.strip()]
    canon = [lookup.get(i.casefold()) for i in items]
    return None if any(c is None for c in canon) else ";".join(sorted(set(canon), key=order.index))  # type: ignore[arg-type]


def _clean_number(text: str, kind: str) -> str:
    t = text.replace("\u00a3", "").replace(" ", "") if kind == "money" else text.replace(" ", "")
    if _THOUSANDS.fullmatch(t):
        t = t.replace(",", "")
    if kind == "float" and t.endswith("%"):
        t = t[:-1]
    return t


def _parse_numbers(d: _Distinct, present: np.ndarray, col: Column, bad, findings: list[Finding]) -> tuple:
    cleaned = [_clean_number(t, col.kind) for t in d.text]
    if col.kind == "int":
        ok = np.array([bool(_WHOLE.fullmatch(t)) for t in cleaned] + [False])
        bad(present & ~ok, "the value is not a whole number", "a whole number")
        keep = present & ok
        numbers = [int(float(t)) if k else 0 for t, k in zip(cleaned, keep, strict=False)]
        if all(-_EXACT_FLOAT_INT < n < _EXACT_FLOAT_INT for n in numbers):
            mask = ~keep[d.codes]
            values = np.array([*numbers, 0], dtype=np.int64)[d.codes]
            values[mask] = 0
            return pd.arrays.IntegerArray(values, mask), findings
        # Whole numbers too large to hold exactly: built as before, one cell at a time.
        cells = pd.Series(
            d.cells(d.per_text([int(float(t)) if k else None for t, k in zip(cleaned, keep, strict=False)]))
        )
        return cells.map(lambda v: v).astype("Int64").array, findings
    ok = np.array([bool(_NUMBER.fullmatch(t)) for t in cleaned] + [False])
    bad(
        present & ~ok,
        "the value is not a number",
        "a number" + (" of pounds, such as 1703928 or £1,703,928" if col.kind == "money" else ""),
    )
    keep = present & ok
    per_text = np.array([float(t) if k else np.nan for t, k in zip(cleaned, keep, strict=False)] + [np.nan])
    values = per_text[d.codes]
    return pd.arrays.FloatingArray(np.where(np.isnan(values), 0.0, values), np.isnan(values)), findings


_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# A time after an ISO date: kept only to find the UK date of an instant given with its offset.
_ISO_TIME = re.compile(r"[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?")
_UK = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
UK_TIME = ZoneInfo("Europe/London")
# Dates some systems write for "not known"; never a real date of a programme.
PLACEHOLDER_DATES = frozenset({(1900, 1, 1), (1899, 12, 31), (1899, 12, 30), (9999, 12, 31)})
_TWO_DIGIT = re.compile(r"\d{1,2}/\d{1,2}/\d{2}")
_SERIAL = re.compile(r"\d{5}(\.0+)?")
_DATE_EXPECTED = "a date as dd/mm/yyyy or yyyy-mm-dd"


def _date_parts(value: str, options: SourceOptions) -> tuple[int, int, int] | tuple[str, str, str | None]:
    """(year, month, day), or (rule, message, fix) saying why the text is not a date."""
    iso = _ISO.fullmatch(value[:10]) if len(value) >= 10 else None
    time = _ISO_TIME.fullmatch(value[10:]) if iso and value[10:].strip() else None
    if iso and (not value[10:].strip() or time):
        y, mo, d = int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
        if time and time.group(4):
            # An instant with its offset (UTC "Z" or +01:00): the date is the day it was in the UK,
            # in British Summer Time or not (2025-10-25T23:30:00Z is 26 October in the UK).
            try:
                offset = time.group(4).replace(":", "")
                tz = (
                    dt.UTC
                    if offset == "Z"
                    else dt.timezone(
                        (1 if offset[0] == "+" else -1)
                        * dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
                    )
                )
                instant = dt.datetime(
                    y, mo, d, int(time.group(1)), int(time.group(2)), int(time.group(3) or 0), tzinfo=tz
                )
            except ValueError:
                pass  # an impossible date or time: reported below from its date
            else:
                local = instant.astimezone(UK_TIME)
                y, mo, d = local.year, local.month, local.day
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
    if (y, mo, d) in PLACEHOLDER_DATES:
        return (
            "date_placeholder",
            f"{d:02d}/{mo:02d}/{y} is a placeholder some systems write for a date not known, not a real date",
            "leave the cell blank where the date is not known",
        )
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
    d: _Distinct,
    present: np.ndarray,
    col: Column,
    options: SourceOptions,
    *,
    file: str,
    sheet: str | None,
) -> tuple[np.ndarray, list[Finding]]:
    """Dates: ISO (yyyy-mm-dd) or UK day-first (dd/mm/yyyy); Excel serials only where declared."""
    parts = [_date_parts(t, options) if p else None for t, p in zip(d.text, present, strict=False)]
    dates = np.full(len(parts) + 1, np.datetime64("NaT"), dtype=DATE_DTYPE)
    failed = np.zeros(len(parts) + 1, dtype=bool)
    for i, part in enumerate(parts):
        if part is None:
            continue
        if isinstance(part[0], int):
            dates[i] = np.datetime64(f"{part[0]:04d}-{part[1]:02d}-{part[2]:02d}", "s")
        else:
            failed[i] = True
    findings: list[Finding] = []
    for line, code in d.failing(failed):
        rule, message, fix = parts[code]  # type: ignore[misc]
        findings.append(
            Finding(
                file=file,
                sheet=sheet,
                line=line,
                column=col.name,
                rule=rule,
                message=message,
                value=_show(col, d.text_of(code)),
                expected=_DATE_EXPECTED,
                fix=fix,
            )
        )
    return dates[d.codes], findings

"""Leak checks: every file of a published pack is scanned for direct identifiers, for the inputs'
pseudonymous identifiers and notes, and for counts under the disclosure threshold; validation
reports name rows by file, line and pseudonymous key, with sensitive values redacted.

(tests/test_pack.py checks the small group named in the synthetic data; these checks are general.)
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from evaluation.data.identifiers import VALUE_SHAPES
from evaluation.data.inputs import ValidatedInputs
from evaluation.data.summary import write_quarantine
from evaluation.data.validate import RuleContext, read_and_validate

THRESHOLD = 10  # the shipped parameters' disclosure threshold (disclosure.threshold)
# Columns of the documents' tables that count people; every cell must be withheld, 0 or >= 10.
COUNT_HEADERS = {
    "Referred",
    "Started",
    "Starts",
    "Job outcomes",
    "Participants",
    "Events",
    "Censored",
    "K",
    "N",
    "Refused",
    "Matched treated",
    "Unmatched",
    "Base",
    "Delivered to date",
}
MARKERS = {"[c]", "[x]", "[z]", "", "-", "—"}
TEXT = (".html", ".csv", ".json", ".ipynb", ".svg", ".css")


def pack_texts(pack: Path) -> dict[str, str]:
    """The text of every file in the pack, whatever its kind; an unknown kind fails the test, so
    that nothing published goes unscanned."""
    from pypdf import PdfReader

    texts = {}
    for path in sorted(p for p in pack.rglob("*") if p.is_file()):
        rel = str(path.relative_to(pack))
        if path.suffix in TEXT:
            texts[rel] = path.read_text(encoding="utf-8")
        elif path.suffix == ".pdf":
            reader = PdfReader(io.BytesIO(path.read_bytes()))
            meta = " ".join(str(v) for v in (reader.metadata or {}).values())
            texts[rel] = meta + "\n" + "\n".join(page.extract_text() or "" for page in reader.pages)
        elif path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path)
            props = " ".join(str(v) for v in vars(book.properties).values() if v)
            texts[rel] = (
                props
                + "\n"
                + "\n".join(
                    ",".join("" if v is None else str(v) for v in row)
                    for ws in book.worksheets
                    for row in ws.iter_rows(values_only=True)
                )
            )
        else:
            pytest.fail(f"{rel}: a published file of a kind the leak scan cannot read")
    return texts


@pytest.fixture(scope="module")
def texts(rotherham_pack: Path) -> dict[str, str]:
    return pack_texts(rotherham_pack)


def test_every_file_is_scanned(rotherham_pack: Path, texts: dict[str, str]) -> None:
    files = {str(p.relative_to(rotherham_pack)) for p in rotherham_pack.rglob("*") if p.is_file()}
    assert set(texts) == files
    kinds = {Path(f).suffix for f in files}
    assert {".pdf", ".html", ".csv", ".json", ".ipynb", ".svg", ".xlsx"} <= kinds


def test_no_pseudonymous_identifier_or_note_of_the_inputs_is_published(
    synthetic_dir: Path, texts: dict[str, str]
) -> None:
    """Every participant and comparison-pool identifier of the inputs, and every adviser's note."""
    participants = pd.read_csv(synthetic_dir / "participants.csv", dtype=str, keep_default_na=False)
    pool = pd.read_csv(synthetic_dir / "comparison_pool.csv", dtype=str, keep_default_na=False)
    ids = set(participants["participant_id"]) | set(pool["person_id"])
    notes = {n for n in participants["notes"] if len(n) >= 12}
    assert len(ids) > 30_000 and notes  # the scan has something to find
    for name, text in texts.items():
        tokens = set(re.findall(r"[A-Za-z0-9_-]{3,40}", text))
        assert not tokens & ids, (name, sorted(tokens & ids)[:5])
        for note in notes:
            assert note not in text, (name, note)


@pytest.mark.parametrize("label", sorted(VALUE_SHAPES))
def test_no_direct_identifier_shape_is_published(label: str, texts: dict[str, str]) -> None:
    """NI numbers, emails, phone numbers and full postcodes appear nowhere: not in the text, the
    tables, the spreadsheet cells, the PDF text and metadata, the charts or the notebooks."""
    _, pattern = VALUE_SHAPES[label]
    for name, text in texts.items():
        found = pattern.findall(text) if label != "postcode" else pattern.findall(_without_codes(text))
        assert not found, (name, label, found[:5])


def _without_codes(text: str) -> str:
    """Text without the hex digests and numbers that a postcode pattern can catch by accident."""
    return re.sub(r"\b[0-9a-f]{12,64}\b", " ", text)


def test_no_count_under_the_threshold_in_a_published_table(rotherham_pack: Path) -> None:
    """Every count of people in every table of every HTML document and every CSV is withheld,
    zero or at least the threshold (the PDFs are rendered from the same HTML)."""
    checked = 0
    for path in sorted(rotherham_pack.glob("*.html")):
        html = path.read_text(encoding="utf-8")
        for table in re.findall(r"<table.*?</table>", html, flags=re.S):
            headers = [h.strip() for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table, flags=re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)[1:]:
                cells = [c.strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
                for header, cell in zip(headers, cells, strict=False):
                    if header in COUNT_HEADERS:
                        checked += 1
                        assert _published_count(cell), (path.name, header, cells)
    for path in sorted(rotherham_pack.glob("dwp_return_table_*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in frame.columns[3:]:
            for cell in frame[column]:
                checked += 1
                assert _published_count(cell), (path.name, column, cell)
    assert checked > 200


def _published_count(cell: str) -> bool:
    value = cell.replace(",", "")
    if value in MARKERS or not re.fullmatch(r"\d+", value):
        return True
    return int(value) == 0 or int(value) >= THRESHOLD


def test_the_funnel_chart_labels_no_small_count(rotherham_pack: Path) -> None:
    svg = (rotherham_pack / "charts" / "funnel.svg").read_text(encoding="utf-8")
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    counts = [int(t.replace(",", "")) for t in labels if re.fullmatch(r"[\d,]+", t)]
    assert counts and all(c == 0 or c >= THRESHOLD for c in counts), counts


def test_validation_report_names_rows_by_file_line_and_key_and_redacts(
    synthetic_dir: Path, fixture_ctx: RuleContext, tmp_path: Path
) -> None:
    """A quarantined row with a note holding a phone number and a provider holding an email: the
    findings name file, line and participant, never the values."""
    base = (Path(__file__).parent / "fixtures" / "participants_valid.csv").read_text(encoding="utf-8")
    text = base.replace(
        "P0000002,E08000018,Rotherham,E05999001,Anston & Woodsetts,7,VCSE Partner A,",
        "P0000002,E08000018,Rotherham,E05999001,Anston & Woodsetts,11,jo.bloggs@example.org,",
    )
    text = text.replace("Attended confidence workshop", "Rang 07700 900123 about the workshop")
    path = tmp_path / "participants.csv"
    path.write_text(text, encoding="utf-8")
    participants = read_and_validate(path, "participants", ctx=fixture_ctx)
    assert participants.quarantined == 1
    others = {
        name: read_and_validate(synthetic_dir / f"{name}.csv", name)
        for name in ("ward_lookup", "comparison_pool", "area_statistics", "budget")
    }
    write_quarantine(ValidatedInputs(participants=participants, **others), tmp_path / "q")
    findings = pd.read_csv(tmp_path / "q" / "findings.csv", dtype=str, keep_default_na=False)
    mine = findings[findings["table"] == "participants"]
    assert set(mine["rule"]) == {"out_of_range", "identifier_in_free_text"}
    for _, f in mine.iterrows():
        assert (f["file"], f["line"], f["record"]) == ("participants.csv", "3", "participant_id P0000002")
    quarantine = (tmp_path / "q" / "participants.quarantine.csv").read_text(encoding="utf-8")
    report = (tmp_path / "q" / "findings.csv").read_text(encoding="utf-8")
    for leaked in ("07700", "jo.bloggs@example.org", "example.org"):
        assert leaked not in report and leaked not in quarantine, leaked
    assert "[redacted email]" in quarantine and ",[redacted]," in quarantine  # the note, redacted whole
    assert "P0000002" in quarantine  # the pseudonymous key stays, so the owner can find the row

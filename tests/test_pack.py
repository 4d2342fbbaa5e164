"""What leaves the building: every PDF tagged, the DWP return sound, and no small count published."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import openpyxl
import pytest

from evaluation.documents.returns import check_return, read_return

SMALL_GROUP = "Gypsy or Irish Traveller"  # 3 Rotherham starters, 1 job outcome (synthetic_spec.SMALL_GROUP)


def test_every_pdf_passes_the_pdfua_check(rotherham_pack: Path) -> None:
    from pdfua import validate

    pdfs = sorted(rotherham_pack.glob("*.pdf"))
    assert {p.stem for p in pdfs} == {
        "decision_paper",
        "equalities_analysis",
        "scrutiny_update",
    }
    for pdf in pdfs:
        report = validate(str(pdf))
        assert list(report.findings) == [], (pdf.name, [f.message for f in report.findings])


def test_return_opens_matches_schema_and_holds_no_formula(rotherham_pack: Path) -> None:
    path = rotherham_pack / "dwp_return.xlsx"
    spec = json.loads((rotherham_pack / "dwp_return.schema.json").read_text())
    assert check_return(path, spec, threshold=10) == []
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Cover", "Contents", "Notes", "Table_1", "Table_2", "Table_3"]
    assert not any(cell.data_type == "f" for ws in book.worksheets for row in ws.iter_rows() for cell in row)
    tables = read_return(path, spec)
    # Independently of the writer: every count in the return is a marker or at least 10 (or 0).
    for sheet, frame in tables.items():
        for col in spec["tables"][sheet]["columns"]:
            if col["type"] == "count":
                values = frame[col["name"]]
                assert all(v in ("[c]", "[x]", "[z]") or v == 0 or v >= 10 for v in values), (
                    sheet,
                    col["name"],
                    list(values),
                )
    # The CSV of table 1 holds the same rows as its sheet.
    import pandas as pd

    csv = pd.read_csv(rotherham_pack / "dwp_return_table_1.csv", dtype=str)
    assert csv.shape == tables["Table_1"].shape


def test_formula_like_text_is_written_as_text() -> None:
    from evaluation.documents.returns import _safe_text

    assert _safe_text('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert (
        _safe_text("@SUM(A1)") == "'@SUM(A1)"
        and _safe_text("[c]") == "[c]"
        and _safe_text("Rotherham") == "Rotherham"
    )


def _published_text(pack: Path) -> dict[str, str]:
    """Every published file's text: HTML, CSV, JSON, notebooks, PDF text, XLSX cells."""
    from pypdf import PdfReader

    out = {}
    for path in sorted(p for p in pack.rglob("*") if p.is_file()):
        rel = str(path.relative_to(pack))
        if path.suffix in (".html", ".csv", ".json", ".ipynb", ".svg"):
            out[rel] = path.read_text(encoding="utf-8")
        elif path.suffix == ".pdf":
            out[rel] = "\n".join(
                page.extract_text() or "" for page in PdfReader(io.BytesIO(path.read_bytes())).pages
            )
        elif path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path)
            out[rel] = "\n".join(
                ",".join("" if v is None else str(v) for v in row)
                for ws in book.worksheets
                for row in ws.iter_rows(values_only=True)
            )
    return out


def test_small_group_is_too_few_to_say_and_its_counts_appear_nowhere(rotherham_pack: Path) -> None:
    texts = _published_text(rotherham_pack)
    html = texts["equalities_analysis.html"]
    rows = [r for r in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if SMALL_GROUP in r]
    assert rows, "the group must be shown (as too few to say), not hidden"
    for row in rows:
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        assert "too few to say" in cells
        numbers = [c for c in cells[1:] if re.fullmatch(r"[0-9][0-9,.]*%?", c.strip())]
        assert numbers == [], row  # every count, rate and ratio of the group is withheld
    for name, text in texts.items():
        for line in text.splitlines():
            if SMALL_GROUP in line:
                assert not re.search(r"(?<![\w.])[13](?![\w.%])", line.split(SMALL_GROUP, 1)[1][:200]), (
                    name,
                    line[:300],
                )


def test_no_direct_identifier_or_pseudonymous_id_is_published(rotherham_pack: Path) -> None:
    from evaluation.data.identifiers import VALUE_SHAPES

    for name, text in _published_text(rotherham_pack).items():
        assert not re.search(r"\bP\d{7}\b|\bC\d{8}\b", text), name  # participant and pool ids
        for label, (_, pattern) in VALUE_SHAPES.items():
            if label in ("email", "nino"):
                assert not pattern.search(text), (name, label)


@pytest.mark.parametrize(
    "name",
    ["decision_paper.html", "equalities_analysis.html", "scrutiny_update.html", "technical_report.html"],
)
def test_html_documents_are_accessible_in_structure(rotherham_pack: Path, name: str) -> None:
    html = (rotherham_pack / name).read_text(encoding="utf-8")
    assert '<html lang="en-GB">' in html and "<title>" in html
    assert "<img" not in html or all(
        'alt="' in tag and 'alt=""' not in tag for tag in re.findall(r"<img[^>]*>", html)
    )
    assert all("scope=" in th for th in re.findall(r"<th(?:\s[^>]*)?>", html))


def test_documents_place_the_charts_the_notebooks_showed(rotherham_pack: Path) -> None:
    """Each chart is drawn once, in the notebook that shows it, and handed over with the results;
    the pack's chart files are those, and drawing each afresh from the results the documents are
    built from (the charts handed over set aside) gives the same bytes."""
    import dataclasses

    from evaluation.disclosure_linked import published_sections
    from evaluation.params import load_params
    from evaluation.published import CHART_NAMES, section_charts
    from evaluation.results import read_all

    work = rotherham_pack.parent.parent / ".internal" / "rotherham" / "2026-27"
    params = load_params(rotherham_pack.parent.parent.parent / "params" / "rotherham_2026-27.yaml")
    sections = published_sections(read_all(work / "results"), params.disclosure, work)
    handed = {name: c for r in sections for name, c in r.charts.items()}
    placed = {p.stem: p.read_text(encoding="utf-8") for p in (rotherham_pack / "charts").glob("*.svg")}
    assert set(handed) == set(placed) == {n for names in CHART_NAMES.values() for n in names} - {
        "event_study", "observed_vs_baseline", "synthetic_control_gaps"  # no baseline for Rotherham
    }  # fmt: skip
    for r in sections:
        fresh = section_charts(dataclasses.replace(r, charts={}), params)
        assert {n: c.svg for n, c in fresh.items()} == {n: placed[n] for n in fresh}, r.section

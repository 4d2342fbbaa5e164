"""Documents: UK formats, safe narrative, strict templates, a fetcher that stays home, and the
Rotherham paper's figures in the right paragraph of the rendered PDF and HTML."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from pathlib import Path

import pytest

from evaluation.documents import formatting, narrative, render
from evaluation.errors import TemplateError
from evaluation.figures import Figure, FigureRegister

GOLDENS = Path(__file__).parent / "goldens"


def test_uk_formats() -> None:
    assert formatting.uk_date(dt.date(2026, 3, 2)) == "2 March 2026"
    assert formatting.money(1_703_928) == "£1,703,928"
    assert formatting.money(1_703_928, short=True) == "£1.7m"
    assert formatting.money(10_000_000, short=True) == "£10m"
    assert formatting.percent(307 / 575) == "53.4%"
    assert formatting.percent(307 / 575, 0) == "53%"
    # GSS [low]: above zero but printing as zero; zero itself prints as zero.
    assert formatting.percent(1 / 4000) == "[low]" and formatting.percent(0.0) == "0.0%"
    assert formatting.percent(1 / 1500) == "0.1%" and formatting.percent(1 / 400, 0) == "[low]"
    assert formatting.count(46600) == "46,600"
    assert formatting.financial_year(2025) == "2025/26"


REG = FigureRegister(
    [
        Figure("jobs", 73, "count", "Evidenced job outcomes.", "test"),
        Figure("rate", 73 / 307, "proportion", "Start to job.", "test"),
    ]
)


def test_placeholders_filled_by_name_only() -> None:
    text = "We saw {fig:jobs} jobs ({fig:rate:0}); {{ 7*7 }} and {fig:rate} stay as written."
    assert (
        narrative.fill(text, REG, file="p.yaml", key="k")
        == "We saw 73 jobs (24%); {{ 7*7 }} and 23.8% stay as written."
    )


def test_unknown_figure_names_file_and_key() -> None:
    with pytest.raises(TemplateError) as err:
        narrative.fill("{fig:jobz}", REG, file="params/x.yaml", key="document.summary[0]")
    assert (
        "jobz" in str(err.value)
        and "params/x.yaml" in str(err.value)
        and "document.summary[0]" in str(err.value)
    )


def test_narrative_html_is_text_not_markup() -> None:
    p = narrative.paragraph('<img src="file:///etc/passwd"> {{ 7*7 }}', REG, file="f", key="k", tables=set())
    html = render.environment().from_string("{% for l in p.lines %}<p>{{ l }}</p>{% endfor %}").render(p=p)
    assert (
        "<img" not in html and "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html and "{{ 7*7 }}" in html
    )


def test_undefined_in_template_fails_naming_template() -> None:
    with pytest.raises(TemplateError) as err:
        render.render_html("decision_paper.html.j2", {})
    assert "decision_paper.html.j2" in str(err.value) or "base.html.j2" in str(err.value)
    assert "not defined" in str(err.value)


@pytest.mark.parametrize("src", ["file:///etc/passwd", "http://example.org/logo.png"])
def test_fetcher_refuses_outside_the_pack(tmp_path: Path, src: str) -> None:
    html = f'<html lang="en-GB"><head><title>t</title></head><body><img src="{src}" alt="x"></body></html>'
    with pytest.raises(TemplateError) as err:
        render.render_pdf(html, base=tmp_path)
    assert "outside the templates and the pack" in str(err.value) or "may not reach the network" in str(
        err.value
    )


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_paragraph_on_referrals_starts_jobs(rotherham_pack: Path) -> None:
    """001, paragraph 1.14 reads 575, 307, 53%, 73, 24%: so must ours, from the default data."""
    for text in (
        _pdf_text(rotherham_pack / "decision_paper.pdf"),
        (rotherham_pack / "decision_paper.html").read_text(),
    ):
        flat = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))
        m = re.search(
            r"We have seen (\S+) referrals into the Economic Inactivity Trailblazer, with (\S+) starts on programme \((\S+) conversion from referral into start\)\. To date, we have seen (\S+) evidenced jobs, demonstrating a (\S+) conversion rate",
            flat,
        )
        assert m, flat[:2000]
        assert m.groups() == ("575", "307", "53%", "73", "24%")
        assert "second only to Sheffield within South Yorkshire" in flat
        assert "£1,703,928" in flat and "46,600" in flat


def test_qa_appendix_reports_the_seed_faults(rotherham_pack: Path) -> None:
    flat = re.sub(r"\s+", " ", _pdf_text(rotherham_pack / "decision_paper.pdf"))
    assert "the published reasons sum to 45,900, 700 short of the stated total of 46,600" in flat
    assert "The papers disagree by 6" in flat  # Employment Solutions: 138 and 144


def test_pdf_is_tagged_and_passes_pdfua(rotherham_pack: Path) -> None:
    import pikepdf
    from pdfua import validate

    report = validate(str(rotherham_pack / "decision_paper.pdf"))
    assert [f.rule_id for f in report.findings] == [], [f.message for f in report.findings]
    with pikepdf.open(rotherham_pack / "decision_paper.pdf") as pdf:
        assert str(pdf.Root.Lang) == "en-GB" and pdf.Root.MarkInfo.Marked
        assert "Continuation funding 2026/27" in str(pdf.docinfo.get("/Title"))
        figures = []

        def walk(node) -> None:
            kids = node.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    if str(kid.S) == "/Figure":
                        figures.append(str(kid.get("/Alt", "")))
                    walk(kid)

        walk(pdf.Root.StructTreeRoot)
    assert len(figures) == 3 and all(len(a) > 40 for a in figures)  # every chart has its alt text


def _normalised_html(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    # The analysis parameters' hash, and so the run id, change with where the test's inputs live.
    text = re.sub(r"commit [0-9a-f]{7,40}|commit unknown", "commit <commit>", text)
    text = re.sub(r"(documents' wording: SHA-256 )[0-9a-f]{64}", r"\1<params hash>", text)
    run_id = re.search(r"Run identifier</th><td>([0-9a-f]{12})<", text).group(1)
    return text.replace(run_id, "<run id>")


def test_golden_html(rotherham_pack: Path) -> None:
    """The whole paper against its golden copy; `make goldens` updates it after an intended change."""
    golden = GOLDENS / "rotherham_2026-27.decision_paper.html"
    got = _normalised_html(rotherham_pack / "decision_paper.html")
    if os.environ.get("UPDATE_GOLDENS") == "1":
        golden.write_text(got, encoding="utf-8")
    assert golden.exists(), "run `make goldens` to create the golden copy"
    assert got == golden.read_text(encoding="utf-8"), (
        "the paper changed; if intended, run `make goldens` and review the diff"
    )


def test_links_into_the_pack_are_relative_so_two_folders_give_one_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WeasyPrint writes a link to a pack file as the absolute file URI of the build folder; the
    PDF must hold the relative link only, so that no machine path is published and a pack rebuilt
    elsewhere (``make verify``) is byte for byte the same."""
    import pikepdf

    html = (
        '<!DOCTYPE html><html lang="en-GB"><head><title>Links</title></head>'
        '<body><p><a href="notebooks/process_evaluation.ipynb">process notebook</a></p></body></html>'
    )
    # As the pipeline does: fontTools stamps each embedded font subset with SOURCE_DATE_EPOCH, else now.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1771113600")
    pdfs = []
    for name in ("one", "two"):
        folder = tmp_path / name / "pack"
        (folder / "notebooks").mkdir(parents=True)
        pdfs.append(render.render_pdf(html, base=folder))
    assert pdfs[0] == pdfs[1]
    assert b"/tmp" not in pdfs[0] and str(tmp_path).encode() not in pdfs[0]
    with pikepdf.open(io.BytesIO(pdfs[0])) as doc:
        uris = [str(a.A.URI) for p in doc.pages for a in p.get("/Annots", []) if "/A" in a]
    assert uris == ["notebooks/process_evaluation.ipynb"]


def test_pdf_key_follows_what_the_pdf_is_made_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PDF is laid out again when its HTML, a file it loads (style sheet, chart) or the build
    time changes, and not when another file of the pack does."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1771113600")
    (tmp_path / "assets").mkdir()
    (tmp_path / "charts").mkdir()
    (tmp_path / "assets" / "print.css").write_text("p { color: black }", encoding="utf-8")
    (tmp_path / "charts" / "funnel.svg").write_text("<svg/>", encoding="utf-8")
    (tmp_path / "other.txt").write_text("not loaded", encoding="utf-8")
    html = (
        '<html><head><link rel="stylesheet" href="assets/print.css"></head>'
        '<body><img src="charts/funnel.svg" alt="a chart"><a href="other.txt">x</a></body></html>'
    )
    key = render.pdf_key(html, base=tmp_path)
    (tmp_path / "other.txt").write_text("changed, but no part of the PDF", encoding="utf-8")
    assert render.pdf_key(html, base=tmp_path) == key
    assert render.pdf_key(html.replace("a chart", "the chart"), base=tmp_path) != key
    for loaded, text in (("charts/funnel.svg", "<svg><g/></svg>"), ("assets/print.css", "p { color: red }")):
        old = (tmp_path / loaded).read_text(encoding="utf-8")
        (tmp_path / loaded).write_text(text, encoding="utf-8")
        assert render.pdf_key(html, base=tmp_path) != key, loaded
        (tmp_path / loaded).write_text(old, encoding="utf-8")
    assert render.pdf_key(html, base=tmp_path) == key
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1771200000")
    assert render.pdf_key(html, base=tmp_path) != key


def test_pdfs_laid_out_alongside_are_the_same_bytes_and_fail_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PDF laid out in the second process (``pdfs_alongside``) is byte for byte the one laid out
    here, is in place (and in the cache) when the block ends, and a failure there stops the block
    with the document's name and the reason."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1771113600")
    html = (
        '<!DOCTYPE html><html lang="en-GB"><head><title>Alongside</title>'
        '<link rel="stylesheet" href="assets/print.css"></head>'
        "<body><h1>Heading</h1><p>Referrals: 1,234.</p></body></html>"
    )
    for name in ("here", "there"):
        (tmp_path / name / "assets").mkdir(parents=True)
        (tmp_path / name / "assets" / "print.css").write_text("p { color: #0b0c0c }", encoding="utf-8")
    here = render.write_pdf(html, tmp_path / "here" / "paper.pdf").read_bytes()
    with render.pdfs_alongside():
        render.write_pdf(html, tmp_path / "there" / "paper.pdf", cache=tmp_path / "cache")
    assert (tmp_path / "there" / "paper.pdf").read_bytes() == here
    assert (tmp_path / "cache" / "paper.pdf").read_bytes() == here
    bad = html.replace("<h1>", '<img src="file:///etc/passwd" alt="x"><h1>')
    with pytest.raises(TemplateError) as err, render.pdfs_alongside():
        render.write_pdf(bad, tmp_path / "there" / "bad.pdf")
    assert "bad.pdf" in str(err.value) and "outside the templates and the pack" in str(err.value)

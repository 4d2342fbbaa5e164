"""Every fixture of the malformed-input corpus gives its documented finding, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evaluation.data.validate import RuleContext, read_and_validate

CORPUS = Path(__file__).parent / "fixtures" / "malformed"
EXPECTED: dict = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))


def test_corpus_is_complete() -> None:
    files = {p.name for p in CORPUS.glob("*.csv")}
    assert files == set(EXPECTED), "every fixture needs an expected finding, and every expectation a fixture"
    assert len(files) >= 25


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_gives_documented_finding(name: str, fixture_ctx: RuleContext) -> None:
    expected = EXPECTED[name]
    expected = expected if isinstance(expected, list) else [expected]
    table = read_and_validate(CORPUS / name, "participants", ctx=fixture_ctx)
    got = {(f.severity, f.rule, f.line, f.column) for f in table.findings}
    for e in expected:
        assert (e["severity"], e["rule"], e["line"], e["column"]) in got, (
            f"{name}: got {sorted(got, key=str)}"
        )
    if expected[0]["severity"] == "row":
        # Only the rows named are quarantined; the rest of the file is accepted.
        assert set(table.quarantine.index) == {e["line"] for e in expected}
        assert table.rows_in == table.accepted + table.quarantined
    if expected[0]["severity"] == "warning":
        assert table.quarantined == 0


def test_every_finding_explains_itself(fixture_ctx: RuleContext) -> None:
    for name in sorted(EXPECTED):
        for finding in read_and_validate(CORPUS / name, "participants", ctx=fixture_ctx).findings:
            text = finding.describe()
            assert name in text and finding.message in text


def test_free_text_identifier_is_redacted(fixture_ctx: RuleContext) -> None:
    table = read_and_validate(CORPUS / "identifier_in_free_text.csv", "participants", ctx=fixture_ctx)
    note = str(table.frame.loc[3, "notes"])
    assert "07700" not in note and "[redacted phone]" in note


def test_declared_cp1252_source_reads(fixture_ctx: RuleContext) -> None:
    from evaluation.data.readers import SourceOptions

    table = read_and_validate(
        CORPUS / "cp1252_undeclared.csv",
        "participants",
        options=SourceOptions(encoding="cp1252"),
        ctx=fixture_ctx,
    )
    assert table.quarantined == 0 and table.frame.loc[3, "provider"] == "VCSE Partner \u2013 A"


def test_excel_serial_reads_where_declared(fixture_ctx: RuleContext) -> None:
    from evaluation.data.readers import SourceOptions

    table = read_and_validate(
        CORPUS / "excel_serial.csv",
        "participants",
        options=SourceOptions(excel_serial_dates=True),
        ctx=fixture_ctx,
    )
    # Excel serial 45810 is 2 June 2025 in the 1900 date system (=DATE(2025,6,2) gives 45810).
    assert str(table.frame.loc[2, "referral_date"].date()) == "2025-06-02"


def test_bom_is_accepted(tmp_path: Path, fixture_ctx: RuleContext) -> None:
    base = (CORPUS.parent / "participants_valid.csv").read_bytes()
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + base)
    table = read_and_validate(path, "participants", ctx=fixture_ctx)
    assert (table.rows_in, table.accepted) == (3, 3) and "participant_id" in table.frame

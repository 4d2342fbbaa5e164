"""For random corruption of a valid file, no row is ever lost or invented."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluation.data.validate import RuleContext, read_and_validate

BASE = (Path(__file__).parent / "fixtures" / "participants_valid.csv").read_text(encoding="utf-8")
ROWS = list(csv.reader(io.StringIO(BASE)))
HEADER, DATA = ROWS[0], ROWS[1:] * 4  # twelve data rows

junk = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "N/A",
            "-",
            "Prefer not to say",
            "31/02/2025",
            "45810",
            "1.2E+05",
            "E08000099",
            "11",
            "yes",
            "no",
            "🙂",
            '"',
            ",",
            "\n",
        ]
    ),
)
corruption = st.tuples(st.integers(0, len(DATA) - 1), st.integers(0, len(HEADER) - 1), junk)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(corruption, max_size=15), st.lists(st.integers(0, len(DATA) - 1), max_size=3))
def test_rows_in_equal_accepted_plus_quarantined(
    tmp_path_factory, fixture_ctx: RuleContext, cells, truncate
) -> None:
    rows = [list(r) for r in DATA]
    for i, j, value in cells:
        rows[i][j] = value
    for i in truncate:
        rows[i] = rows[i][: len(rows[i]) // 2]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([HEADER, *rows])
    path = tmp_path_factory.mktemp("prop") / "participants.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    # Count the records independently with the csv module: one per data record.
    with path.open(encoding="utf-8", newline="") as fh:
        records = [r for r in csv.reader(fh)][1:]
    expected_rows = sum(1 for r in records if any(c.strip() for c in r))
    table = read_and_validate(path, "participants", ctx=fixture_ctx)
    if any(f.severity == "file" for f in table.findings):
        # The whole file is refused (a NUL byte, say): nothing is accepted, and the run stops.
        assert table.accepted == 0 and table.quarantined == 0
        return
    assert table.rows_in == table.accepted + table.quarantined
    assert table.rows_in == expected_rows
    assert set(table.frame.index).isdisjoint(table.quarantine.index)

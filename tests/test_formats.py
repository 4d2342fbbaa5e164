"""The same table read from CSV, XLSX and Parquet validates to identical frames."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from evaluation.data.validate import RuleContext, read_and_validate


@pytest.mark.parametrize("table", ["participants", "comparison_pool", "area_statistics", "budget"])
def test_three_formats_identical(
    table: str, synthetic_dir: Path, synthetic_ctx: RuleContext, tmp_path: Path
) -> None:
    text = pd.read_csv(synthetic_dir / f"{table}.csv", dtype=str, keep_default_na=False).head(400)
    csv_path = tmp_path / f"{table}.csv"
    text.to_csv(csv_path, index=False)
    text.to_excel(tmp_path / f"{table}.xlsx", index=False, sheet_name="data")
    text.to_parquet(tmp_path / f"{table}.parquet", index=False)
    frames = [
        read_and_validate(tmp_path / f"{table}.{ext}", table, ctx=synthetic_ctx)
        for ext in ("csv", "xlsx", "parquet")
    ]
    assert frames[0].rows_in == len(text) and frames[0].quarantined == 0
    for other in frames[1:]:
        pd.testing.assert_frame_equal(frames[0].frame, other.frame)


def test_xlsx_typed_cells_match_text(tmp_path: Path, fixture_ctx: RuleContext) -> None:
    """Real Excel cells (dates as dates, numbers as numbers) read as the CSV's text does."""
    import datetime as dt

    import openpyxl

    base = Path(__file__).parent / "fixtures" / "participants_valid.csv"
    text = pd.read_csv(base, dtype=str, keep_default_na=False)
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(list(text.columns))
    for _, row in text.iterrows():
        cells: list[object] = []
        for col, value in row.items():
            if col.endswith("_date") and value:
                day = (
                    dt.datetime.strptime(value, "%d/%m/%Y")
                    if "/" in value
                    else dt.datetime.fromisoformat(value)
                )
                cells.append(day)
            elif col in ("age", "imd_decile", "months_inactive", "barriers_count") and value:
                cells.append(int(value))
            else:
                cells.append(value or None)
        ws.append(cells)
    path = tmp_path / "typed.xlsx"
    book.save(path)
    from_xlsx = read_and_validate(path, "participants", ctx=fixture_ctx)
    from_csv = read_and_validate(base, "participants", ctx=fixture_ctx)
    pd.testing.assert_frame_equal(from_csv.frame, from_xlsx.frame)

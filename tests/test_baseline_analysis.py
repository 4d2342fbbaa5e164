"""The area-level baseline as a run sees it: paths behind the charts, the results section, refusals,
the charts' alt text, and the documents' plain statement of what the data can detect.

Expected values come from: series built with a known effect (``controlled_series``: 10,000 people
fewer inactive in every post period, parallel paths), the default synthetic run's recorded truth
and specification (``synthetic_spec``: the comparison areas, the programme starts), hand-worked
arithmetic on a supplied projection, and the area statistics read directly with pandas.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from benchmarks.baseline_simulation import controlled_series
from evaluation.analyses.baseline import baseline_results, comparison_areas
from evaluation.data import synthetic_spec as spec
from evaluation.data.validate import read_and_validate
from evaluation.metrics.baseline import interrupted_time_series, synthetic_control
from evaluation.metrics.baseline_paths import synthetic_control_gaps, trend_path
from evaluation.params import Params, load_params
from evaluation.pipeline.notebooks import notebooks_for
from evaluation.published import baseline_charts
from tests.conftest import params_copy

SY = tuple(c.code for c in spec.SOUTH_YORKSHIRE)
START = dt.date(2024, 1, 1)  # controlled_series' programme start


@pytest.fixture(scope="module")
def areas(synthetic_dir: Path) -> pd.DataFrame:
    return read_and_validate(synthetic_dir / "area_statistics.csv", "area_statistics").frame


@pytest.fixture(scope="module")
def sy_params(synthetic_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Params:
    folder = tmp_path_factory.mktemp("params")
    return load_params(params_copy("south_yorkshire_2025-26", synthetic_dir, folder))


def inputs_of(frame: pd.DataFrame) -> SimpleNamespace:
    """What baseline_results reads of the validated inputs: the area statistics only."""
    return SimpleNamespace(area_statistics=SimpleNamespace(frame=frame))


def with_baseline(params: Params, *, councils: tuple[str, ...] | None = None, **baseline: object) -> Params:
    update: dict = {"baseline": params.baseline.model_copy(update=baseline)}
    if councils is not None:
        update["area"] = params.area.model_copy(update={"councils": councils})
    return params.model_copy(update=update)


# The paths behind the charts ------------------------------------------------------------------------------


def test_trend_path_shows_a_known_effect_below_the_band():
    frame, treated, _ = controlled_series(3, effect=10_000)
    path = trend_path(frame, area_codes=treated, programme_start=START)
    post = path[path["post"]]
    assert len(post) == 4 and post["lower"].notna().all() and path.loc[~path["post"], "lower"].isna().all()
    # 10,000 people fewer inactive than the trend in every post period, beyond the no-effect band.
    gap = post["baseline"] - post["observed"]
    assert 8_000 < gap.mean() < 12_000, gap.tolist()
    assert (post["observed"] < post["lower"]).all()
    # Each period's interval of the gap (the band, moved by the observed count) covers the truth.
    shifted = post["observed"] + 10_000
    assert ((post["lower"] <= shifted) & (shifted <= post["upper"])).all()
    # The latest period is the estimator's own number, fitted by the same steps.
    e = interrupted_time_series(frame, area_codes=treated, programme_start=START)
    assert gap.iloc[-1] == pytest.approx(e.effect)
    assert post["upper"].iloc[-1] - post["baseline"].iloc[-1] == pytest.approx(e.upper - e.effect)


def test_trend_path_without_effect_stays_inside_the_band():
    frame, treated, _ = controlled_series(3, effect=0)
    post = trend_path(frame, area_codes=treated, programme_start=START).query("post")
    assert ((post["observed"] >= post["lower"]) & (post["observed"] <= post["upper"])).all()


def test_synthetic_control_gaps_programme_against_placebos():
    frame, treated, comparison = controlled_series(5, effect=10_000)
    gaps, weights = synthetic_control_gaps(
        frame, treated_codes=treated, donor_codes=comparison, programme_start=START
    )
    assert weights["weight"].sum() == pytest.approx(1, abs=1e-6)
    assert set(weights["area_code"]) == set(comparison)
    assert gaps["unit"].nunique() == 1 + len(comparison)
    population = frame[frame["area_code"].isin(treated)].groupby("period_end")["working_age_population"].sum()
    post = gaps[(gaps["role"] == "programme") & gaps["post"]]
    # 10,000 people over the programme areas' population, in rate points, in every post period.
    expected = 100 * 10_000 / population.iloc[-1]
    assert 0.7 * expected < post["gap_points"].mean() < 1.3 * expected
    # No placebo area, which had no programme, shows a mean post-start gap as large.
    placebo_means = gaps[(gaps["role"] == "placebo") & gaps["post"]].groupby("unit")["gap_points"].mean()
    assert placebo_means.abs().max() < post["gap_points"].mean()
    e = synthetic_control(
        frame, treated_code=treated, donor_codes=comparison, programme_start=START, placebos=False
    )
    assert post["gap_points"].iloc[-1] == pytest.approx(e.diagnostics["effect_rate_points"])


# The results section ----------------------------------------------------------------------------------------


def test_default_south_yorkshire_run(sy_params: Params, areas: pd.DataFrame, synthetic_dir: Path):
    import json

    truth = json.loads((synthetic_dir / "truth.json").read_text(encoding="utf-8"))["area_effects"]
    res = baseline_results(sy_params, inputs_of(areas))
    assert set(comparison_areas(sy_params, areas)) == set(spec.COMPARISON_AREAS)
    table = res.tables["triangulation"]
    assert len(table) == 3 and res.tables["refusals"].empty
    true_latest = sum(truth[c]["effect_by_period_end"]["2025-12-31"] for c in SY)  # about 297 people
    assert ((table["lower"] <= true_latest) & (true_latest <= table["upper"])).all()
    # The survey's error (1.6% of population a council) hides any effect near the 950 target.
    assert res.figures["baseline_target_detectable"].value == "no"
    assert res.figures["baseline_mde"].value > 10 * 950
    assert "the target of 950 is smaller than that, so the survey cannot show whether it was met" in (
        res.figures["baseline_detectability"].value
    )
    assert res.figures["baseline_latest_period"].value == "2025-12-31"
    # The event study has the three post periods as lags 0 to 2 and leads back to -8.
    study = res.tables["event_study"]
    assert sorted(study.loc[study["rel_time"] >= 0, "rel_time"]) == [0, 1, 2]
    assert study["rel_time"].min() == -8
    side = res.tables["side_by_side"]
    assert side["additional_active"].tolist() == [round(v) for v in table["effect"]]


def test_clear_effect_is_found_and_the_target_called_detectable(sy_params: Params):
    frame, treated, comparison = controlled_series(7, effect=10_000)
    params = with_baseline(
        sy_params,
        councils=treated,
        programme_start=START,
        comparison_areas=comparison,
        target_additional_active=9_000,
    )
    res = baseline_results(params, inputs_of(frame))
    table = res.tables["triangulation"]
    assert ((table["lower"] > 0) & (table["lower"] <= 10_000) & (table["upper"] >= 10_000)).all()
    assert res.figures["baseline_target_detectable"].value == "yes"
    assert "the target of 9,000 is larger than that" in res.notes["detectability"]
    assert "An effect above zero is shown by" in res.notes["reading"]


def test_supplied_projection_from_params(sy_params: Params, areas: pd.DataFrame):
    """A projection 500 above the observed count in every post period: the supplied effect is 500."""
    observed = (
        areas[areas["area_code"].isin(SY) & (areas["reason"] == "All reasons")]
        .groupby("period_end")["inactive_count"]
        .sum()
    )
    post = observed[observed.index >= pd.Timestamp(spec.SY_PROGRAMME_START)]
    projection = {ts.date(): float(v) + 500 for ts, v in post.items()}
    supplied = {"source": "Combined authority forecast", "version": "v2 (March 2025)", "inactive": projection}
    params = load_params_with(sy_params, supplied=supplied)
    res = baseline_results(params, inputs_of(areas))
    assert res.figures["baseline_supplied_effect"].value == pytest.approx(500)
    row = res.tables["triangulation"].iloc[0]
    assert row["baseline"] == "supplied"
    assert "Combined authority forecast, version v2 (March 2025)" in res.notes["method_supplied"]


def load_params_with(params: Params, **baseline: object) -> Params:
    """Params re-checked by the strict model, as a parameters file with these baseline keys would be."""
    data = params.model_dump()
    data["baseline"] |= baseline
    return Params.model_validate(data)


def test_one_programme_area_refuses_difference_in_differences(sy_params: Params, areas: pd.DataFrame):
    params = with_baseline(sy_params, councils=("E08000018",), programme_start=spec.SY_PROGRAMME_START)
    res = baseline_results(params, inputs_of(areas))
    assert list(res.tables["triangulation"]["method"].str.split(" ").str[0]) == ["Interrupted", "Synthetic"]
    refusal = res.tables["refusals"]
    assert refusal["method"].tolist() == ["Difference-in-differences"]
    assert "needs at least two programme areas; got E08000018" in refusal["reason"].iloc[0]
    assert "event_study" not in res.tables and "refused_difference_in_differences" in res.notes
    assert set(baseline_charts(res, params)) == {"observed_vs_baseline", "synthetic_control_gaps"}


def test_series_too_short_refuses_every_method_in_words(sy_params: Params, areas: pd.DataFrame):
    params = with_baseline(sy_params, programme_start=dt.date(2018, 1, 1))
    res = baseline_results(params, inputs_of(areas))
    assert "triangulation" not in res.tables and len(res.tables["refusals"]) == 3
    reason = res.tables["refusals"]["reason"].iloc[0]
    assert re.search(
        r"Barnsley.*only 4 survey periods end before the programme start \(1 January 2018\)", reason
    )
    assert "31 March 2017 to 31 December 2025" in reason
    assert res.figures["baseline_detectability"].value == (
        "No method could be estimated from the area statistics, so they cannot show whether the target of 950 was met."
    )
    assert baseline_charts(res, params) == {}


def test_comparison_area_missing_periods_is_refused_naming_it(sy_params: Params, areas: pd.DataFrame):
    gappy = areas[
        ~((areas["area_code"] == "E08000035") & (areas["period_end"] == pd.Timestamp("2024-06-30")))
    ]
    res = baseline_results(sy_params, inputs_of(gappy))
    reasons = dict(zip(res.tables["refusals"]["method"], res.tables["refusals"]["reason"], strict=True))
    assert set(reasons) == {"Difference-in-differences", "The synthetic control"}
    assert (
        "Leeds (E08000035)" in reasons["The synthetic control"]
        and "30 June 2024" in reasons["The synthetic control"]
    )
    assert len(res.tables["triangulation"]) == 1  # the trend needs no comparison area


def test_no_programme_start_means_no_baseline_run(synthetic_dir: Path, tmp_path: Path):
    rotherham = load_params(params_copy("rotherham_2026-27", synthetic_dir, tmp_path))
    assert "baseline_evaluation" not in notebooks_for(rotherham)
    res = baseline_results(rotherham, inputs_of(pd.DataFrame()))
    assert res.tables == {} and "baseline.programme_start" in res.notes["not_run"]


# Charts -----------------------------------------------------------------------------------------------------


def test_charts_alt_text_from_the_numbers(sy_params: Params, areas: pd.DataFrame):
    res = baseline_results(sy_params, inputs_of(areas))
    made = baseline_charts(res, sy_params)
    assert set(made) == {"observed_vs_baseline", "event_study", "synthetic_control_gaps"}
    latest = areas[
        areas["area_code"].isin(SY)
        & (areas["reason"] == "All reasons")
        & (areas["period_end"] == pd.Timestamp("2025-12-31"))
    ]["inactive_count"].sum()
    alt = made["observed_vs_baseline"].alt_text
    assert f"Latest period: observed {latest:,.0f}" in alt
    assert "inside the band, so it cannot be told apart from do-nothing" in alt
    assert "7 leads and 3 lags" in made["event_study"].alt_text
    assert "of the 8 placebo gaps" in made["synthetic_control_gaps"].alt_text
    for chart in made.values():
        assert chart.svg.count("<desc") == 1 and 'role="img"' in chart.svg


# The pack --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_south_yorkshire_pack_says_the_target_cannot_be_seen(synthetic_dir: Path, tmp_path: Path):
    """The real pipeline on the default data: the notebook runs, the decision paper says in words
    that the survey cannot show whether 950 was met, and the technical report carries the methods
    side by side with the three charts."""
    from pypdf import PdfReader
    from rich.console import Console

    from evaluation.pipeline.run import run_report

    params = params_copy("south_yorkshire_2025-26", synthetic_dir, tmp_path / "params")
    assert run_report([params], tmp_path / "reports", console=Console(quiet=True))
    pack = tmp_path / "reports" / "south_yorkshire" / "2025-26"
    assert (pack / "notebooks" / "baseline_evaluation.ipynb").exists()
    said = "the target of 950 is smaller than that, so the survey cannot show whether it was met"
    pdf_text = " ".join(page.extract_text() for page in PdfReader(pack / "decision_paper.pdf").pages)
    assert said in " ".join(pdf_text.split())
    technical = (pack / "technical_report.html").read_text(encoding="utf-8")
    section = technical[technical.index('id="section-baseline"') :]
    for name in ("observed_vs_baseline", "event_study", "synthetic_control_gaps"):
        assert f'src="charts/{name}.svg"' in section and (pack / "charts" / f"{name}.svg").exists()
    assert "Smallest detectable" in section and "Difference-in-differences" in section

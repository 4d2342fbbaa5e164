"""The process evaluation of one run: funnel, durations, targets and projection, providers,
finance, comparison across councils, consistency checks, and the figures the documents name.

In: a parameters file and its validated inputs. Out: the ``process`` results section. The
notebook ``notebooks/process_evaluation.ipynb`` calls this and shows its parts.
"""

from __future__ import annotations

import re

import pandas as pd

from evaluation.analyses.memo import remembered
from evaluation.data import vocab
from evaluation.data.inputs import ValidatedInputs
from evaluation.data.reference import ons_areas
from evaluation.figures import FigureRegister
from evaluation.metrics import consistency, durations, finance, league, process
from evaluation.params import Params
from evaluation.results import Results

SOURCE_PARTICIPANTS = "participant journeys (validated input), to the data cut-off"


def run_participants(inputs: ValidatedInputs, params: Params) -> pd.DataFrame:
    """The accepted participant rows of this run's areas."""
    p = inputs.participants.frame
    return p[p["area_code"].isin(params.area_codes)]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _financial_year_of(date) -> str:
    year = date.year if date.month >= 4 else date.year - 1
    return f"{year}/{(year + 1) % 100:02d}"


def _peers(params: Params) -> tuple[str, tuple[str, ...]]:
    """The combined authority a run belongs to and its councils (for the league table)."""
    areas = ons_areas()
    first = params.area_codes[0]
    ca = (
        areas.loc[first, "combined_authority_code"]
        if params.area.kind == "local_authority"
        else params.area.code
    )
    councils = tuple(sorted(areas.index[areas["combined_authority_code"] == ca]))
    return str(areas.loc[ca, "area_name"]) if ca else "", councils


def _inactivity(inputs: ValidatedInputs, params: Params, reg: FigureRegister) -> None:
    """Economic inactivity of the run's area at the eligible-population period, by reason."""
    stats = inputs.area_statistics.frame
    stats = stats[stats["area_code"].isin(params.area_codes)]
    if stats.empty:
        return
    end = (
        pd.Timestamp(params.equity.eligible_population_period_end)
        if params.equity.eligible_population_period_end
        else stats["period_end"].max()
    )
    at = stats[stats["period_end"] == end]
    total = at[at["reason"] == vocab.ALL_REASONS]
    if total.empty:
        return
    src = str(total["source"].iloc[0])
    count = int(total["inactive_count"].sum())
    pop = float(total["working_age_population"].sum())
    reg.register(
        "inactive_total",
        count,
        "count",
        "Economically inactive residents aged 16 to 64, survey estimate.",
        src,
    )
    reg.register(
        "inactive_period",
        f"{end:%B %Y}",
        "text",
        "End of the 12-month survey period of the inactivity figures.",
        src,
    )
    reg.register(
        "inactive_rate",
        count / pop,
        "proportion",
        "Economically inactive share of residents aged 16 to 64.",
        src,
    )
    parts = at[at["reason"] != vocab.ALL_REASONS]
    for reason, value in parts.groupby("reason")["inactive_count"].sum().items():
        reg.register(
            f"inactive_{_slug(str(reason))}",
            int(value),
            "count",
            f"Economically inactive, main reason: {reason}.",
            src,
        )
    if not parts.empty:
        s = int(parts["inactive_count"].sum())
        reg.register(
            "inactive_components_sum", s, "count", "Sum of the published reasons for inactivity.", src
        )
        reg.register(
            "inactive_components_gap",
            count - s,
            "count",
            "Stated total less the sum of the published reasons.",
            src,
        )


def _delivery_plan(params: Params, lines: pd.DataFrame, part: pd.DataFrame) -> pd.DataFrame:
    """Each plan line's heading and amount (budget), planned and actual residents supported (starts)."""
    started = part[part["start_date"].notna()].groupby("strand").size()
    rows = []
    for line in params.delivery_plan:
        budget = lines[lines["category"] == line.activity]
        rows.append(
            {
                "priority": str(budget["strand"].iloc[0]) if len(budget) else "",
                "activity": line.activity,
                "amount": float(budget["budgeted"].sum()),
                "planned": line.residents_supported,
                "supported": int(started.get(line.activity, 0))
                if line.residents_supported is not None
                else None,
            }
        )
    return pd.DataFrame(rows).astype({"planned": "Int64", "supported": "Int64"})


@remembered
def process_results(params: Params, inputs: ValidatedInputs) -> Results:
    """Every process measure of one run, as a results section."""
    from evaluation.metrics.projection import project_year_end, projection_table

    part = run_participants(inputs, params)
    cutoff, period = params.period.data_cutoff, params.period
    reg = FigureRegister()
    res = Results(section="process", figures=reg)

    head = process.funnel(part, data_cutoff=cutoff)
    src = SOURCE_PARTICIPANTS
    reg.register("data_cutoff", cutoff, "date", "Last date the participant data cover.", "parameters file")
    reg.register(
        "period_start", period.start, "date", "First day of the period evaluated.", "parameters file"
    )
    reg.register("period_end", period.end, "date", "Last day of the period evaluated.", "parameters file")
    reg.register("referrals", head.referrals, "count", process.STAGE_DEFINITIONS["referrals"], src)
    reg.register("starts", head.starts.k, "count", "People who started on programme.", src)
    reg.register(
        "referral_to_start_rate",
        head.starts.rate,
        "proportion",
        process.STAGE_DEFINITIONS["starts"],
        src,
        lower=head.starts.lower,
        upper=head.starts.upper,
    )
    reg.register(
        "job_outcomes", head.job_outcomes.k, "count", "Job outcomes evidenced to DWP's standard.", src
    )
    reg.register(
        "start_to_job_rate",
        head.job_outcomes.rate,
        "proportion",
        process.STAGE_DEFINITIONS["job_outcomes"],
        src,
        lower=head.job_outcomes.lower,
        upper=head.job_outcomes.upper,
    )
    reg.register(
        "on_programme",
        head.on_programme,
        "count",
        "Started, no job outcome yet and not left: still on programme.",
        src,
    )
    reg.register("sustained_13w", head.sustained_13w.k, "count", "Jobs sustained 13 weeks.", src)
    reg.register(
        "sustained_13w_rate",
        head.sustained_13w.rate,
        "proportion",
        process.STAGE_DEFINITIONS["sustained_13w"],
        src,
        lower=head.sustained_13w.lower,
        upper=head.sustained_13w.upper,
    )
    reg.register("sustained_26w", head.sustained_26w.k, "count", "Jobs sustained 26 weeks.", src)
    reg.register(
        "sustained_26w_rate",
        head.sustained_26w.rate,
        "proportion",
        process.STAGE_DEFINITIONS["sustained_26w"],
        src,
        lower=head.sustained_26w.lower,
        upper=head.sustained_26w.upper,
    )
    within = durations.job_within(part, days=182, data_cutoff=cutoff)
    reg.register(
        "job_within_26_weeks_rate",
        within.rate,
        "proportion",
        "Share of starters with an evidenced job within 26 weeks of starting (product-limit estimate; people still on programme are censored, not failures).",
        src,
        lower=within.lower,
        upper=within.upper,
    )

    res.tables["funnel"] = process.funnel_table(part)
    for by in process.GROUPINGS:
        res.tables[f"funnel_by_{by}"] = process.funnel_table(part, by=by)
    res.tables["quarterly"] = process.quarterly_by_area(part)
    res.tables["cumulative"] = process.cumulative_by_month(
        part, data_cutoff=cutoff, period_start=period.start
    )
    res.tables["durations"] = durations.durations_table(durations.durations(part, data_cutoff=cutoff))
    res.tables["durations_by_provider"] = durations.durations_table(
        durations.durations(part, data_cutoff=cutoff, by="provider")
    )

    # Targets, progress and the year-end projection of each target's measure.
    projections = {}
    observed = {"referrals": head.referrals, "starts": head.starts.k, "job_outcomes": head.job_outcomes.k}
    target_rows = []
    for t in params.targets:
        reg.register(f"target_{t.name}", t.value, "count", f"Target: {t.label}.", t.source)
        done = observed.get(t.measure)
        if done is None:
            continue
        reg.register(
            f"progress_{t.name}",
            done / t.value,
            "proportion",
            f"Progress to date against the target of {t.value:,} {t.label}.",
            src,
        )
        if t.measure in ("starts", "job_outcomes"):
            proj = project_year_end(
                part, measure=t.measure, data_cutoff=cutoff, period_end=period.end, target=t.value
            )
            projections[t.measure] = proj
            reg.register(
                f"probability_{t.name}_target",
                proj.probability_reaching_target,
                "proportion",
                f"Estimated probability of reaching {t.value:,} {t.label} by the period end. {proj.method}",
                "year-end projection",
            )
            target_rows.append(projection_table(proj).assign(target_name=t.name, target_label=t.label))
    for measure, proj in projections.items():
        for q in ("central", "low80", "high80", "low95", "high95"):
            suffix = "" if q == "central" else f"_{q}"
            reg.register(
                f"projected_{measure}{suffix}",
                round(getattr(proj, q)),
                "count",
                f"Projected {measure.replace('_', ' ')} by the period end ({q}). {proj.method}",
                "year-end projection",
            )
    if target_rows:
        res.tables["projections"] = pd.concat(target_rows, ignore_index=True)

    # Providers: commissioned against delivered.
    by_provider = res.tables["funnel_by_provider"]
    delivered = by_provider[by_provider["stage"] == "job_outcomes"].set_index("group")["k"]
    rows = []
    for c in params.commissioned:
        names = [g for g in (c.data_providers or (c.provider,)) if g in delivered.index]
        rows.append(
            {
                "provider": c.provider,
                "commissioned_job_outcomes": c.job_outcomes,
                "delivered_job_outcomes": int(delivered[names].sum()),
                "source": c.source,
            }
        )
    if rows:
        res.tables["commissioned"] = pd.DataFrame(rows)

    # Comparison across the councils of the combined authority.
    region, councils = _peers(params)
    peers = inputs.participants.frame[inputs.participants.frame["area_code"].isin(councils)]
    if len(councils) > 1 and not peers.empty:
        table = league.league_table(process.funnel_table(peers, by="area"), stage="job_outcomes")
        res.tables["league_start_to_job"] = table
        if params.area.kind == "local_authority":
            reg.register(
                "start_to_job_standing",
                league.standing(table, params.area.name, region=region),
                "text",
                f"Position on the start-to-job rate among the councils of {region}. {league.LEAGUE_METHOD}.",
                src,
            )

    # Barriers and cohorts named in the papers.
    recorded = part["barriers_count"].notna()
    if recorded.any():
        reg.register(
            "three_plus_barriers_share",
            float((part.loc[recorded, "barriers_count"] >= 3).mean()),
            "proportion",
            "Share of participants with three or more barriers recorded at assessment.",
            src,
        )
    started = part[part["start_date"].notna()]
    reg.register(
        "neet_starts",
        int(started["neet"].fillna(False).astype(bool).sum()),
        "count",
        "Starts by young people not in education, employment or training.",
        src,
    )
    reg.register(
        "care_leaver_starts",
        int(started["care_leaver"].fillna(False).astype(bool).sum()),
        "count",
        "Starts by care leavers.",
        src,
    )

    # Finance.
    lines = finance.run_budget(inputs.budget.frame, params, params.budget.financial_year)
    res.tables["budget"] = lines
    reg.register(
        "budget_total",
        float(lines["budgeted"].sum()),
        "money",
        f"Budget {params.budget.financial_year}: sum of the budget lines.",
        "budget (validated input)",
    )
    res.qa += finance.reconcile(lines, params.budget.stated_totals)
    spend_year = _financial_year_of(period.start)
    spent = finance.run_budget(inputs.budget.frame, params, spend_year)
    cost = finance.cost_per_outcome(
        float(spent["spend_to_date"].fillna(0).sum()), head.starts.k, head.job_outcomes.k
    )
    reg.register(
        "spend_to_date",
        cost["spend_to_date"],
        "money",
        f"Spend to date in {spend_year}.",
        "budget (validated input)",
    )
    reg.register(
        "cost_per_start",
        cost["cost_per_start"],
        "money",
        f"Spend to date in {spend_year} divided by starts.",
        "budget and participant journeys",
    )
    reg.register(
        "cost_per_job_outcome",
        cost["cost_per_job_outcome"],
        "money",
        f"Spend to date in {spend_year} divided by evidenced job outcomes.",
        "budget and participant journeys",
    )
    res.tables["cost_by_strand"] = finance.cost_by_strand(spent, part, params.budget.strand_to_programme)

    if params.delivery_plan:
        res.tables["delivery_plan"] = _delivery_plan(params, lines, part)
        reg.register(
            "plan_residents_supported",
            int(res.tables["delivery_plan"]["planned"].sum()),
            "count",
            "Residents to be supported, summed over the delivery plan's activity lines.",
            "parameters file (delivery plan)",
        )

    # Area statistics and consistency between papers.
    _inactivity(inputs, params, reg)
    res.qa += consistency.inactivity_components(inputs.area_statistics.frame, params.area_codes)
    res.qa += consistency.published_figures(params)
    if params.baseline.target_additional_active:
        reg.register(
            "baseline_target",
            params.baseline.target_additional_active,
            "count",
            f"Stated aim: {params.baseline.target_label}.",
            "parameters file",
        )

    res.notes["funnel_rates"] = (
        "Conversion rates are to date: of everyone referred, the share who started; of everyone who started, "
        "the share with an evidenced job so far. People still on programme count in the denominator, as in DWP returns; "
        "the censoring-aware share with a job within 26 weeks of starting does not count them as failures."
    )
    return res

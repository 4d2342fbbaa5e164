"""Calibration of the synthetic data: every number here comes from a seed paper or is marked synthetic.

Seed papers (``shared/seeds/``): 001 is Rotherham's Delegated Officer Decision of 2 March 2026
(575 referrals, 307 starts, 73 evidenced jobs; Sheffield's start-to-job rate first in South
Yorkshire and Rotherham's second; 46,600 inactive residents by reason; the 2025/26 budget);
004 is the North East's delivery plan (activity lines, amounts and residents supported).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DATA_CUTOFF = dt.date(2026, 2, 15)
SEED = 20250401


@dataclass(frozen=True)
class Line:
    """A provider delivering one strand, with its share of a council's referrals."""

    provider: str
    strand: str
    share: float


@dataclass(frozen=True)
class CouncilSpec:
    code: str
    name: str
    referrals: int
    starts: int
    evidenced_jobs: int
    first_referral: dt.date
    lines: tuple[Line, ...]
    diversity: float  # share of participants not White British (synthetic)


SY_LINES = (
    Line("Employment Solutions", "Personalised support", 0.45),
    Line("VCSE Partner A", "Community engagement", 0.18),
    Line("VCSE Partner B", "Community engagement", 0.15),
    Line("VCSE Partner C", "Community engagement", 0.12),
    Line("Employer activation team", "Employer activation", 0.10),
)


def _sy_lines(council: str) -> tuple[Line, ...]:
    if council == "Rotherham":
        return SY_LINES
    return (
        Line(f"{council} Council employment service", "Personalised support", 0.5),
        Line(f"{council} VCSE consortium", "Community engagement", 0.4),
        Line(f"{council} employer activation team", "Employer activation", 0.1),
    )


# South Yorkshire. Rotherham's counts are the paper's (001, paragraph 1.14). The other three
# councils' counts are synthetic, set so that Sheffield's start-to-job rate is the highest and
# Rotherham's (73/307 = 23.8%) the second, as paragraph 1.14 says.
SOUTH_YORKSHIRE = (
    CouncilSpec("E08000018", "Rotherham", 575, 307, 73, dt.date(2025, 5, 6), _sy_lines("Rotherham"), 0.14),
    CouncilSpec("E08000016", "Barnsley", 520, 262, 52, dt.date(2025, 5, 12), _sy_lines("Barnsley"), 0.05),
    CouncilSpec("E08000017", "Doncaster", 610, 300, 57, dt.date(2025, 5, 19), _sy_lines("Doncaster"), 0.10),
    CouncilSpec("E08000019", "Sheffield", 980, 505, 142, dt.date(2025, 5, 6), _sy_lines("Sheffield"), 0.25),
)

# North East delivery plan (004, Appendix 1): activity line -> (priority, amount, residents supported).
NE_ACTIVITY_LINES: dict[str, tuple[str, int, int]] = {
    "Local infrastructure": ("Priority 1", 1_400_000, 200),
    "Mayor's Childcare Grant": ("Priority 1", 350_000, 45),
    "Young adults work placement": ("Priority 2", 950_000, 190),
    "Neurodiverse work placement": ("Priority 2", 875_000, 175),
    "Women": ("Priority 2", 925_000, 100),
    "Social housing tenants": ("Priority 2", 875_000, 150),
    "Primary care health pilot": ("Priority 2", 500_000, 60),
    "VCSE small grants": ("Priority 2", 950_000, 300),
    "Employers": ("Priority 2", 875_000, 150),
}
NE_PLAN_LINE_DATES: dict[str, dt.date] = {
    "Local infrastructure": dt.date(2025, 7, 1),
    "Mayor's Childcare Grant": dt.date(2025, 8, 1),
    "Young adults work placement": dt.date(2025, 7, 1),
    "Neurodiverse work placement": dt.date(2025, 7, 1),
    "Women": dt.date(2025, 8, 1),
    "Social housing tenants": dt.date(2025, 9, 1),
    "Primary care health pilot": dt.date(2025, 7, 1),
    "VCSE small grants": dt.date(2025, 8, 1),
    "Employers": dt.date(2025, 8, 1),
}
# The plan's primary care pilot runs in "2 local areas"; which two is not said (synthetic choice).
NE_PILOT_AREAS = ("E08000037", "E08000024")
# Working-age population shares of the seven councils (synthetic, close to ONS mid-year estimates).
NE_COUNCILS: dict[str, tuple[str, float]] = {
    "E06000047": ("County Durham", 0.240),
    "E08000037": ("Gateshead", 0.090),
    "E08000021": ("Newcastle upon Tyne", 0.145),
    "E08000022": ("North Tyneside", 0.093),
    "E06000057": ("Northumberland", 0.142),
    "E08000023": ("South Tyneside", 0.067),
    "E08000024": ("Sunderland", 0.123),
}
NE_START_RATE = 0.62  # synthetic: share of referrals that start
NE_JOB_RATE = 0.16  # synthetic: share of starts with an evidenced job to date

# Rotherham's economically inactive residents, Apr 2023 to Mar 2024 (001, paragraph 1.3).
ROTHERHAM_INACTIVE_TOTAL = 46_600
ROTHERHAM_INACTIVE_BY_REASON: dict[str, int] = {
    "Student": 11_200,
    "Looking after family or home": 8_500,
    "Long-term sick": 15_000,
    "Retired": 5_200,
    "Other": 6_000,
}
ROTHERHAM_STATS_PERIOD = (dt.date(2023, 4, 1), dt.date(2024, 3, 31))

# Reasons mix for sampling participants: the paper's shares, with the 700 it leaves unexplained
# split between temporary sickness and discouraged workers (synthetic).
REASON_WEIGHTS: dict[str, float] = {
    "Student": 11_200,
    "Looking after family or home": 8_500,
    "Long-term sick": 15_000,
    "Temporary sick": 400,
    "Retired": 5_200,
    "Discouraged": 300,
    "Other": 6_000,
}

# Rotherham's 25 wards (2018 boundaries) with an indicative IMD decile (synthetic), and the
# synthetic ward codes the generator gives them (ONS has not issued E05999xxx).
ROTHERHAM_WARDS: tuple[tuple[str, int], ...] = (
    ("Anston & Woodsetts", 7),
    ("Aughton & Swallownest", 6),
    ("Boston Castle", 1),
    ("Bramley & Ravenfield", 7),
    ("Brinsworth", 5),
    ("Dalton & Thrybergh", 2),
    ("Dinnington", 2),
    ("Greasbrough", 3),
    ("Hellaby & Maltby West", 5),
    ("Hoober", 4),
    ("Keppel", 3),
    ("Kilnhurst & Swinton East", 3),
    ("Maltby East", 1),
    ("Rawmarsh East", 2),
    ("Rawmarsh West", 4),
    ("Rother Vale", 6),
    ("Rotherham East", 1),
    ("Rotherham West", 1),
    ("Sitwell", 8),
    ("Swinton Castle", 3),
    ("Thurcroft & Wickersley South", 6),
    ("Wales", 8),
    ("Wath", 4),
    ("Whiston & Templeborough", 7),
    ("Wickersley North", 8),
)
OTHER_WARDS_PER_COUNCIL = 12

# Rotherham budget 2025/26 (001, section 2.6): heading, line, amount. Total stated £1,703,928.
ROTHERHAM_BUDGET: tuple[tuple[str, str, int], ...] = (
    ("System Service Management", "Staffing", 224_688),
    ("System Service Management", "Commissioned Services", 60_000),
    ("Employer Activation & Engagement", "Staffing", 112_000),
    ("Employer Activation & Engagement", "Commissioned Services", 250_000),
    ("Employer Activation & Engagement", "Administrative and resourcing", 110_000),
    ("Personalised Support", "Staffing", 501_240),
    ("Personalised Support", "Commissioned Services", 300_000),
    ("Personalised Support", "Mobilisation and resourcing", 110_000),
    ("Personalised Support", "Administrative", 36_000),
)
# South Yorkshire's £10m (001, paragraph 1.8): the other councils' and SYMCA's split is synthetic.
SY_OTHER_BUDGETS: dict[str, int] = {
    "E08000016": 1_550_000,
    "E08000017": 1_900_000,
    "E08000019": 3_300_000,
}
SY_TOTAL = 10_000_000

# North East budget (004, Appendix 1). The LMI hub is listed under Evaluation, as in the paper.
NE_MANAGEMENT = 450_000
NE_PRIORITY3_LINES: tuple[tuple[str, int], ...] = (
    (
        "Local service re-design: system integration between health, employment and public health services",
        1_200_000,
    ),
    ("Carers & VCSE", 200_000),
)
NE_EVALUATION_LINES: tuple[tuple[str, int], ...] = (
    ("System LMI Hub and data sharing", 350_000),
    ("External evaluation of the Trailblazer programme", 100_000),
)

# Comparison areas for the area-level baseline (synthetic series; codes from the ONS register).
COMPARISON_AREAS: tuple[str, ...] = (
    "E08000032",
    "E08000033",
    "E08000034",
    "E08000035",
    "E08000036",
    "E06000010",
    "E06000012",
    "E06000013",
)
# Working-age (16-64) population around 2024, rounded (synthetic, close to ONS estimates).
WORKING_AGE_POPULATION: dict[str, int] = {
    "E08000018": 158_900,
    "E08000016": 154_000,
    "E08000017": 191_000,
    "E08000019": 380_000,
    "E06000047": 330_000,
    "E08000037": 126_000,
    "E08000021": 196_000,
    "E08000022": 127_000,
    "E06000057": 189_000,
    "E08000023": 89_000,
    "E08000024": 172_000,
    "E08000032": 340_000,
    "E08000033": 125_000,
    "E08000034": 275_000,
    "E08000035": 535_000,
    "E08000036": 225_000,
    "E06000010": 170_000,
    "E06000012": 95_000,
    "E06000013": 105_000,
}
# True programme effects built into the area series: people kept economically active at full
# effect (synthetic). South Yorkshire's total is its stated aim of about 950 (000, minutes of item 108); the
# North East's is set below the HGA's 2,073 so that the tools are tested on a shortfall.
SY_TRUE_EFFECT_TOTAL = 950
NE_TRUE_EFFECT_TOTAL = 1_600
SY_PROGRAMME_START = dt.date(2025, 4, 1)
NE_PROGRAMME_START = dt.date(2025, 7, 1)
EFFECT_RAMP_MONTHS = 12
AREA_SERIES_FIRST_END = dt.date(2017, 3, 31)
AREA_SERIES_LAST_END = dt.date(2025, 12, 31)
# Survey error of the Annual Population Survey for a district's inactivity count: standard
# error as a share of working-age population, and the autocorrelation of overlapping 12-month
# periods a quarter apart (three quarters of the sample are shared).
APS_SE_SHARE = 0.016
APS_ERROR_AR = 0.75

# The small group planted for disclosure tests: three Rotherham starters, one job outcome.
SMALL_GROUP = ("ethnicity", "White: Gypsy or Irish Traveller", 3, 1)

POOL_PER_REFERRAL = 6
IMPACT_FOLLOW_UP_DAYS = 182

"""The data contract: the four input tables (and the ward lookup), column by column.

Each column says its kind (how a cell is parsed), whether it may be missing, its allowed values
or range, and what it means. The parser, the pandera rule schema and the data dictionary in
``docs/data-dictionary.md`` are all built from these specifications, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from evaluation.data import vocab

Kind = Literal["id", "code", "text", "category", "int", "float", "money", "bool", "date", "list"]


@dataclass(frozen=True)
class Column:
    """One column of an input table."""

    name: str
    kind: Kind
    meaning: str
    required: bool = True  # the column must be present in the file
    nullable: bool = False  # a cell may be missing
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    sensitive: bool = False  # values are redacted in findings
    free_text: bool = False  # scanned for identifiers, never published


@dataclass(frozen=True)
class TableSchema:
    """One input table: its columns and the columns that identify a row."""

    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$"
AREA_CODE_PATTERN = r"^[EWSN]\d{8}$"
FINANCIAL_YEAR_PATTERN = r"^\d{4}/\d{2}$"


def _flag(name: str, meaning: str) -> Column:
    return Column(name, "bool", meaning + " Blank if not recorded.", nullable=True)


def _protected(name: str, allowed: tuple[str, ...], meaning: str) -> Column:
    return Column(name, "category", meaning, required=False, nullable=True, allowed=allowed)


_COVARIATES: tuple[Column, ...] = (
    Column("age", "int", "Age in whole years at referral (or entry).", minimum=16, maximum=70),
    Column("sex", "category", "Sex as recorded.", allowed=vocab.SEX),
    Column("ethnicity", "category", "Ethnic group, ONS 2021 19 categories.", allowed=vocab.ETHNICITY),
    Column(
        "disability",
        "category",
        "Disabled or has a long-term health condition (Equality Act definition).",
        allowed=vocab.YES_NO_REFUSED,
    ),
    Column(
        "health_condition_type",
        "category",
        "Main type of health condition or disability.",
        nullable=True,
        allowed=vocab.HEALTH_CONDITION_TYPES,
    ),
    Column(
        "inactivity_reason",
        "category",
        "Main reason for economic inactivity (Annual Population Survey categories).",
        allowed=vocab.INACTIVITY_REASONS,
    ),
    Column(
        "months_inactive",
        "int",
        "Months economically inactive before referral (or entry).",
        nullable=True,
        minimum=0,
        maximum=600,
    ),
    Column("benefits", "category", "Main benefit received.", nullable=True, allowed=vocab.BENEFITS),
    Column(
        "imd_decile",
        "int",
        "Index of Multiple Deprivation decile of home area (1 most deprived, 10 least).",
        nullable=True,
        minimum=1,
        maximum=10,
    ),
    _flag("carer", "Has unpaid caring responsibilities."),
    _flag("lone_parent", "Is a lone parent."),
    _flag("social_housing", "Is a social housing tenant."),
)

PARTICIPANTS = TableSchema(
    name="participants",
    title="Participant journeys",
    description=(
        "One row per participant referred to the programme: where they live, who supports them, "
        "each step of their journey and the characteristics used for equity analysis."
    ),
    key=("participant_id",),
    columns=(
        Column(
            "participant_id",
            "id",
            "Pseudonymous participant identifier; text, leading zeros kept.",
            pattern=ID_PATTERN,
        ),
        Column(
            "area_code",
            "code",
            "ONS code of the local authority district.",
            pattern=AREA_CODE_PATTERN,
        ),
        Column(
            "area_name",
            "text",
            "Name of the local authority district; checked against the code.",
            required=False,
            nullable=True,
        ),
        Column(
            "ward_code",
            "code",
            "ONS ward code, checked against the supplied ward lookup.",
            nullable=True,
            pattern=r"^[EWSN]05\d{6}$",
        ),
        Column(
            "ward_name",
            "text",
            "Ward name, checked against the code.",
            required=False,
            nullable=True,
        ),
        Column("provider", "text", "Organisation delivering support."),
        Column("strand", "category", "Programme strand or activity line.", allowed=vocab.STRANDS),
        Column(
            "referral_source",
            "category",
            "Where the referral came from.",
            allowed=vocab.REFERRAL_SOURCES,
        ),
        Column("referral_date", "date", "Date referred to the programme."),
        Column("start_date", "date", "Date started on programme; blank if not started.", nullable=True),
        Column(
            "job_start_date",
            "date",
            "Date started paid work; blank if no job outcome yet.",
            nullable=True,
        ),
        Column("job_evidenced", "bool", "Job outcome evidenced to DWP's standard."),
        Column(
            "sustained_13w",
            "bool",
            "In work 13 weeks after job start; blank until known.",
            nullable=True,
        ),
        Column(
            "sustained_26w",
            "bool",
            "In work 26 weeks after job start; blank until known.",
            nullable=True,
        ),
        Column("exit_date", "date", "Date left the programme; blank if still on it.", nullable=True),
        Column(
            "exit_reason",
            "category",
            "Why the participant left.",
            nullable=True,
            allowed=vocab.EXIT_REASONS,
        ),
        *_COVARIATES,
        _flag("care_leaver", "Is a care leaver."),
        _flag("neet", "Aged 16 to 24 and not in education, employment or training at referral."),
        Column(
            "barriers_count",
            "int",
            "Number of barriers to work recorded at assessment.",
            nullable=True,
            minimum=0,
            maximum=len(vocab.BARRIERS),
        ),
        Column(
            "barriers",
            "list",
            "Barriers to work recorded at assessment, separated by semicolons.",
            nullable=True,
            allowed=vocab.BARRIERS,
        ),
        _protected("religion", vocab.RELIGION, "Religion or belief (ONS 2021)."),
        _protected("sexual_orientation", vocab.SEXUAL_ORIENTATION, "Sexual orientation (ONS 2021)."),
        _protected(
            "marriage_civil_partnership",
            vocab.LEGAL_PARTNERSHIP,
            "Legal partnership status (ONS 2021).",
        ),
        _protected(
            "pregnancy_maternity",
            vocab.YES_NO_REFUSED,
            "Pregnant or on maternity leave at referral.",
        ),
        _protected(
            "gender_reassignment",
            vocab.YES_NO_REFUSED,
            "Gender identity differs from sex registered at birth.",
        ),
        Column(
            "notes",
            "text",
            "Adviser's free-text note; scanned for identifiers, never published.",
            required=False,
            nullable=True,
            sensitive=True,
            free_text=True,
        ),
    ),
)

COMPARISON_POOL = TableSchema(
    name="comparison_pool",
    title="Comparison pool",
    description=(
        "Economically inactive residents who did not take part, from administrative data, with the "
        "same characteristics as participants and whether they were in work 6 and 12 months after "
        "their entry date."
    ),
    key=("person_id",),
    columns=(
        Column("person_id", "id", "Pseudonymous person identifier.", pattern=ID_PATTERN),
        Column(
            "area_code",
            "code",
            "ONS code of the local authority district.",
            pattern=AREA_CODE_PATTERN,
        ),
        Column("entry_date", "date", "Date the person entered the pool (the comparison start)."),
        *_COVARIATES,
        Column("in_work_6m", "bool", "In paid work six months after the entry date."),
        Column(
            "in_work_12m",
            "bool",
            "In paid work twelve months after the entry date; blank if not yet observed.",
            nullable=True,
        ),
    ),
)

AREA_STATISTICS = TableSchema(
    name="area_statistics",
    title="Area statistics",
    description=(
        "Economic inactivity of the working-age population (16 to 64) by area and survey period, "
        "from the Annual Population Survey, with the survey's 95% confidence interval."
    ),
    key=("area_code", "period_end", "reason"),
    columns=(
        Column("area_code", "code", "ONS code of the area.", pattern=AREA_CODE_PATTERN),
        Column(
            "area_name",
            "text",
            "Name of the area; checked against the code.",
            required=False,
            nullable=True,
        ),
        Column("period_start", "date", "First day of the survey period (12 months)."),
        Column("period_end", "date", "Last day of the survey period."),
        Column(
            "reason",
            "category",
            "Reason for inactivity, or all reasons.",
            allowed=(vocab.ALL_REASONS, *vocab.INACTIVITY_REASONS),
        ),
        Column("inactive_count", "int", "Economically inactive people aged 16 to 64.", minimum=0),
        Column(
            "working_age_population",
            "int",
            "Population aged 16 to 64.",
            nullable=True,
            minimum=1,
        ),
        Column(
            "rate",
            "float",
            "Inactivity rate, per cent of population aged 16 to 64.",
            nullable=True,
            minimum=0,
            maximum=100,
        ),
        Column(
            "ci_lower",
            "int",
            "Lower bound of the survey's 95% interval for the count.",
            nullable=True,
            minimum=0,
        ),
        Column(
            "ci_upper",
            "int",
            "Upper bound of the survey's 95% interval for the count.",
            nullable=True,
            minimum=0,
        ),
        Column(
            "role",
            "category",
            "Programme area, comparison area or other.",
            allowed=vocab.AREA_ROLES,
        ),
        Column("source", "text", "Publication the figure comes from.", nullable=True),
    ),
)

BUDGET = TableSchema(
    name="budget",
    title="Budget and spend",
    description="Budget lines by area, financial year and strand, with spend to date.",
    key=("area_code", "financial_year", "strand", "category"),
    columns=(
        Column(
            "area_code",
            "code",
            "ONS code of the council or combined authority.",
            pattern=AREA_CODE_PATTERN,
        ),
        Column("financial_year", "text", "Financial year, as 2025/26.", pattern=FINANCIAL_YEAR_PATTERN),
        Column("strand", "text", "Budget heading (strand or priority) as the paper groups it."),
        Column("category", "text", "Budget line within the heading."),
        Column("budgeted", "money", "Amount budgeted, pounds.", minimum=0),
        Column(
            "spend_to_date",
            "money",
            "Amount spent to the data cut-off, pounds.",
            nullable=True,
            minimum=0,
        ),
    ),
)

WARD_LOOKUP = TableSchema(
    name="ward_lookup",
    title="Ward lookup",
    description="The user's ONS ward lookup for the year of their data: ward code, name and district.",
    key=("ward_code",),
    columns=(
        Column("ward_code", "code", "ONS ward code.", pattern=r"^[EWSN]05\d{6}$"),
        Column("ward_name", "text", "Ward name."),
        Column(
            "area_code",
            "code",
            "ONS code of the district the ward lies in.",
            pattern=AREA_CODE_PATTERN,
        ),
        Column(
            "valid_from",
            "date",
            "Date the ward code came into use (ONS Code History Database); blank if always in use.",
            required=False,
            nullable=True,
        ),
        Column(
            "valid_to",
            "date",
            "Date the ward code was retired by a boundary change; blank while in use. A participant "
            "referred after it is quarantined (ward_retired).",
            required=False,
            nullable=True,
        ),
    ),
)

TABLES: dict[str, TableSchema] = {
    t.name: t for t in (PARTICIPANTS, COMPARISON_POOL, AREA_STATISTICS, BUDGET, WARD_LOOKUP)
}

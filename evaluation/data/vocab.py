"""Closed lists of values the input tables may hold (the harmonised categories).

Each list is the canonical spelling; readers match case-insensitively and map to these. Sources:
ONS Census 2021 classifications (ethnicity, religion, sexual orientation, legal partnership
status), the Annual Population Survey's reasons for economic inactivity, and the strands and
activity lines named in the seed papers.
"""

from __future__ import annotations

PREFER_NOT_TO_SAY = "Prefer not to say"

# Strands: South Yorkshire's three test-and-learn functions, then the North East's activity lines
# (its delivery plan, Appendix 1 of 004_d34a47d4d0108e4e.txt).
STRANDS: tuple[str, ...] = (
    "Personalised support",
    "Community engagement",
    "Employer activation",
    "Local infrastructure",
    "Mayor's Childcare Grant",
    "Young adults work placement",
    "Neurodiverse work placement",
    "Women",
    "Social housing tenants",
    "Primary care health pilot",
    "VCSE small grants",
    "Employers",
)

REFERRAL_SOURCES: tuple[str, ...] = (
    "Self-referral",
    "Jobcentre Plus",
    "NHS or health service",
    "VCSE organisation",
    "Council service",
    "Employer",
    "Other",
)

SEX: tuple[str, ...] = ("Female", "Male", PREFER_NOT_TO_SAY)

# ONS 2021 ethnic group, 19 categories; the broad group is the text before the colon.
ETHNICITY: tuple[str, ...] = (
    "Asian, Asian British or Asian Welsh: Bangladeshi",
    "Asian, Asian British or Asian Welsh: Chinese",
    "Asian, Asian British or Asian Welsh: Indian",
    "Asian, Asian British or Asian Welsh: Pakistani",
    "Asian, Asian British or Asian Welsh: Other Asian",
    "Black, Black British, Black Welsh, Caribbean or African: African",
    "Black, Black British, Black Welsh, Caribbean or African: Caribbean",
    "Black, Black British, Black Welsh, Caribbean or African: Other Black",
    "Mixed or Multiple ethnic groups: White and Asian",
    "Mixed or Multiple ethnic groups: White and Black African",
    "Mixed or Multiple ethnic groups: White and Black Caribbean",
    "Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups",
    "White: English, Welsh, Scottish, Northern Irish or British",
    "White: Irish",
    "White: Gypsy or Irish Traveller",
    "White: Roma",
    "White: Other White",
    "Other ethnic group: Arab",
    "Other ethnic group: Any other ethnic group",
    PREFER_NOT_TO_SAY,
)

YES_NO_REFUSED: tuple[str, ...] = ("Yes", "No", PREFER_NOT_TO_SAY)

HEALTH_CONDITION_TYPES: tuple[str, ...] = (
    "Mental health",
    "Musculoskeletal",
    "Cardiovascular or respiratory",
    "Neurodivergence or learning disability",
    "Other physical condition",
    "None",
    PREFER_NOT_TO_SAY,
)

# Annual Population Survey reasons for economic inactivity.
INACTIVITY_REASONS: tuple[str, ...] = (
    "Student",
    "Looking after family or home",
    "Long-term sick",
    "Temporary sick",
    "Retired",
    "Discouraged",
    "Other",
)
ALL_REASONS = "All reasons"

BENEFITS: tuple[str, ...] = (
    "None",
    "Universal Credit (health)",
    "Universal Credit (other)",
    "Employment and Support Allowance",
    "Personal Independence Payment",
    "Other benefit",
    PREFER_NOT_TO_SAY,
)

BARRIERS: tuple[str, ...] = (
    "Health",
    "Caring responsibilities",
    "Skills",
    "Transport",
    "Confidence",
    "Childcare",
    "Housing",
    "Language",
    "Digital",
    "Criminal record",
    "Substance misuse",
)

EXIT_REASONS: tuple[str, ...] = (
    "Job outcome",
    "Completed support",
    "Disengaged",
    "Moved away",
    "Health",
    "Other",
)

RELIGION: tuple[str, ...] = (
    "No religion",
    "Christian",
    "Buddhist",
    "Hindu",
    "Jewish",
    "Muslim",
    "Sikh",
    "Other religion",
    PREFER_NOT_TO_SAY,
)

SEXUAL_ORIENTATION: tuple[str, ...] = (
    "Straight or heterosexual",
    "Gay or lesbian",
    "Bisexual",
    "Other sexual orientation",
    PREFER_NOT_TO_SAY,
)

LEGAL_PARTNERSHIP: tuple[str, ...] = (
    "Never married and never registered a civil partnership",
    "Married or in a registered civil partnership",
    "Separated",
    "Divorced or civil partnership dissolved",
    "Widowed or surviving civil partnership partner",
    PREFER_NOT_TO_SAY,
)

AREA_ROLES: tuple[str, ...] = ("Programme", "Comparison", "Other")

# Cells that mean "no value" in council exports. Mapped explicitly, never guessed.
MISSING_MARKERS: frozenset[str] = frozenset(
    {"", "n/a", "na", "-", "--", "\u2013", "\u2014", "null", "none recorded", "not known", "#n/a"}
)


def broad_ethnic_group(ethnicity: str) -> str:
    """The ONS 2021 broad group (five groups) of a detailed ethnicity label."""
    return ethnicity.split(":", 1)[0] if ":" in ethnicity else ethnicity

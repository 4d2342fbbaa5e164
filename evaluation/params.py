"""Typed run parameters: one YAML file per area (or combined authority) and period.

Loaded from an explicit path into a strict model: unknown keys and duplicate keys are refused,
codes must be written as text, and every error names the file, the key path and what was expected.
Input paths are resolved against the parameters file's own folder, never the working directory.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from evaluation.errors import ParamsError

AreaCode = Annotated[StrictStr, Field(pattern=r"^[EWSN]\d{8}$")]
Name = Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Measure = Literal["referrals", "starts", "job_outcomes", "sustained_13w", "sustained_26w"]
DocumentKind = Literal[
    "decision_paper",
    "equalities_analysis",
    "scrutiny_update",
    "delivery_plan",
    "dwp_return",
    "technical_report",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_financial_year(value: str) -> str:
    m = re.fullmatch(r"(\d{4})/(\d{2})", value)
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError("a financial year written as 2025/26 (two consecutive years)")
    return value


class Area(Strict):
    code: AreaCode
    name: StrictStr
    kind: Literal["local_authority", "combined_authority"]
    councils: tuple[AreaCode, ...] = Field(
        default=(), description="Constituent councils of a combined authority."
    )
    organisation: StrictStr = Field(
        description="Issuing body as it signs its papers, e.g. Rotherham Metropolitan Borough Council."
    )


class Period(Strict):
    start: dt.date
    end: dt.date
    data_cutoff: dt.date = Field(description="Last date the input data covers; later dates are faults.")

    @model_validator(mode="after")
    def _order(self) -> Period:
        if not self.start <= self.end:
            raise ValueError("period.start must not be after period.end")
        if self.data_cutoff < self.start:
            raise ValueError("period.data_cutoff must not be before period.start")
        return self


class Source(Strict):
    path: StrictStr
    encoding: Literal["utf-8", "cp1252"] = "utf-8"
    sheet: StrictStr | None = None
    excel_serial_dates: bool = False


class Inputs(Strict):
    participants: Source
    comparison_pool: Source
    area_statistics: Source
    budget: Source
    ward_lookup: Source


class Target(Strict):
    name: Name
    measure: Measure
    value: Annotated[int, Field(gt=0)]
    label: StrictStr
    source: StrictStr


class StatedTotal(Strict):
    """A total printed in a paper, to be reconciled with the budget lines it covers."""

    label: StrictStr
    amount: Annotated[float, Field(ge=0)]
    strands: tuple[StrictStr, ...] = Field(
        default=(), description="Budget headings covered; empty means all."
    )
    source: StrictStr


class Budget(Strict):
    financial_year: StrictStr
    stated_totals: tuple[StatedTotal, ...] = ()
    strand_to_programme: dict[StrictStr, StrictStr] = Field(
        default_factory=dict,
        description="Budget heading -> programme strand, for cost per outcome by strand.",
    )

    _fy = field_validator("financial_year")(_check_financial_year)


class Commissioned(Strict):
    """Job outcomes commissioned from a provider (or group of providers named in the data)."""

    provider: StrictStr
    job_outcomes: Annotated[int, Field(ge=0)]
    source: StrictStr
    data_providers: tuple[StrictStr, ...] = Field(
        default=(),
        description="Provider names as the participant data spell them; default: the provider itself.",
    )


class PlanLine(Strict):
    """An activity line of a delivery plan: its planned residents supported (amounts are budget lines)."""

    activity: StrictStr
    residents_supported: Annotated[int, Field(ge=0)] | None = None


class PublishedFigure(Strict):
    """A figure as a paper printed it, for the consistency checks of the QA appendix."""

    name: Name
    value: float
    label: StrictStr
    source: StrictStr


class Equity(Strict):
    reference_groups: dict[Name, StrictStr] = Field(default_factory=dict)
    intersections: tuple[tuple[Name, Name], ...] = ()
    material_rate_ratio: Annotated[float, Field(gt=0, lt=1)] = 0.8
    eligible_population_period_end: dt.date | None = None


class Disclosure(Strict):
    threshold: Annotated[int, Field(ge=1)] = 10
    zeros: Literal["publish", "suppress"] = "publish"
    rounding_base: Literal[1, 5] = 1
    secondary: bool = True


class Scenario(Strict):
    low: Annotated[float, Field(ge=0, le=1)]
    central: Annotated[float, Field(ge=0, le=1)]
    high: Annotated[float, Field(ge=0, le=1)]
    source: StrictStr

    @model_validator(mode="after")
    def _ordered(self) -> Scenario:
        if not self.low <= self.central <= self.high:
            raise ValueError("low <= central <= high")
        return self


class Additionality(Strict):
    leakage: Scenario
    displacement: Scenario
    substitution: Scenario
    multiplier: Annotated[float, Field(ge=1)] = 1.0


class Impact(Strict):
    min_treated: Annotated[int, Field(ge=1)] = 60
    caliper_sd: Annotated[float, Field(gt=0)] = 0.2
    outcome: Literal["in_work_6m"] = "in_work_6m"


class SuppliedProjection(Strict):
    """A do-nothing projection the programme agreed: inactive residents expected without it."""

    source: StrictStr = Field(min_length=1, description="Who produced the projection, and in what document.")
    version: StrictStr = Field(
        min_length=1, description="Its version or date, so the run can be traced to it."
    )
    inactive: dict[dt.date, Annotated[float, Field(gt=0)]] = Field(
        description="Projected economically inactive residents (all programme areas together) by the "
        "end date of each survey period on or after the programme start."
    )


class Baseline(Strict):
    """The area-level do-nothing baseline: run when ``programme_start`` is given."""

    target_additional_active: Annotated[int, Field(gt=0)] | None = None
    target_label: StrictStr | None = None
    programme_start: dt.date | None = None
    comparison_areas: tuple[AreaCode, ...] = Field(
        default=(),
        description="Comparison areas for difference-in-differences and the synthetic control; "
        "empty: every area the area statistics mark as a comparison area.",
    )
    estimand: Literal["latest", "average"] = Field(
        default="latest",
        description="latest: the gap in the latest survey period; average: the mean gap since the start.",
    )
    power: Annotated[float, Field(gt=0, lt=1)] = Field(
        default=0.8, description="Power at which the minimum detectable effect is stated."
    )
    supplied: SuppliedProjection | None = None


class Person(Strict):
    name: StrictStr
    title: StrictStr


class Approval(Strict):
    role: StrictStr
    name: StrictStr
    date: dt.date | None = None


class Section(Strict):
    key: Name
    heading: StrictStr
    paragraphs: tuple[StrictStr, ...] = ()
    charts: tuple[Name, ...] = Field(
        default=(), description="Charts shown at the end of the section, by name."
    )


class Document(Strict):
    """What the decision paper says beyond its figures: metadata and narrative, in order."""

    kind: Literal["cabinet_report", "delegated_officer_decision", "combined_authority_decision"]
    committee: StrictStr
    meeting_date: dt.date
    title: StrictStr
    key_decision: bool
    forward_plan: bool
    executive_director: StrictStr
    authors: tuple[Person, ...]
    wards_affected: StrictStr
    summary: tuple[StrictStr, ...]
    recommendations: tuple[StrictStr, ...]
    appendices: tuple[StrictStr, ...] = ()
    background_papers: tuple[StrictStr, ...] = ()
    other_committees: StrictStr = "None"
    council_approval_required: bool = False
    exempt: bool = False
    sections: tuple[Section, ...] = ()
    approvals: tuple[Approval, ...] = ()
    accountable_officers: tuple[Person, ...] = ()


class Params(Strict):
    """Everything one run needs beyond its data."""

    schema_version: Literal[1]
    run_name: Name
    area: Area
    programme: StrictStr
    financial_year: StrictStr
    period: Period
    inputs: Inputs
    targets: tuple[Target, ...] = ()
    budget: Budget
    commissioned: tuple[Commissioned, ...] = ()
    delivery_plan: tuple[PlanLine, ...] = ()
    published_figures: tuple[PublishedFigure, ...] = ()
    equity: Equity = Equity()
    disclosure: Disclosure = Disclosure()
    impact: Impact = Impact()
    baseline: Baseline = Baseline()
    additionality: Additionality
    documents: tuple[DocumentKind, ...]
    document: Document

    _fy = field_validator("financial_year")(_check_financial_year)

    @property
    def area_codes(self) -> tuple[str, ...]:
        """The districts this run covers: the council itself, or a combined authority's councils."""
        return self.area.councils if self.area.kind == "combined_authority" else (self.area.code,)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key written twice in one mapping."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[object, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ParamsError(
                f"the key {key!r} is written twice in one section (first at line {seen[key]})",
                line=key_node.start_mark.line + 1,
                key=str(key),
                expected="each key once",
            )
        seen[key] = key_node.start_mark.line + 1
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_params(path: Path) -> Params:
    """Load and check one parameters file; every problem is reported with its key path."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError("parameters file not found", file=str(path))
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except ParamsError as err:
        raise ParamsError(
            err.message, file=str(path), line=err.line, key=err.key, expected=err.expected
        ) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise ParamsError(
            f"the file is not valid YAML: {getattr(err, 'problem', err)}",
            file=str(path),
            line=mark.line + 1 if mark else None,
        ) from None
    if not isinstance(data, dict):
        raise ParamsError("the file must hold a mapping of keys to values", file=str(path))
    try:
        return Params.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            key = ".".join(str(p) for p in e["loc"]) or "(top level)"
            if e["type"] == "extra_forbidden":
                problems.append(f"{key}: unknown key (not in the parameters model; check its spelling)")
            elif e["type"] == "missing":
                problems.append(f"{key}: required key is missing")
            else:
                problems.append(f"{key}: {e['msg']} (found {e.get('input')!r})")
        first = ".".join(str(p) for p in err.errors()[0]["loc"])
        raise ParamsError(
            "the parameters do not fit the model:\n  - " + "\n  - ".join(problems),
            file=str(path),
            key=first,
        ) from None


# The parameters that are only documents' wording and choice of documents: not analysis.
DOCUMENT_KEYS = frozenset({"document", "documents"})


def analysis_parameters(params: Params) -> str:
    """Every parameter but the documents' wording, as canonical JSON: what a run's figures
    depend on besides its data and code (its hash is the analysis part of the run's identity)."""
    return json.dumps(json.loads(params.model_dump_json(exclude=set(DOCUMENT_KEYS))), sort_keys=True)


def resolve_input(params_path: Path, source: Source) -> Path:
    """An input's path, relative to the parameters file's folder unless absolute."""
    p = Path(source.path)
    return p if p.is_absolute() else (Path(params_path).resolve().parent / p).resolve()

"""One exception base for everything the toolkit refuses, with structured fields.

Every error names where the problem is (file, sheet, line, column, key) and what was expected,
so the CLI can print a message a council officer can act on instead of a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Finding:
    """One problem found in an input: where it is, what was there, what was expected."""

    file: str
    rule: str
    message: str
    line: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str | None = None
    fix: str | None = None
    sheet: str | None = None
    severity: str = "row"  # "file" stops the run; "row" quarantines the row; "warning" keeps it

    def location(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def describe(self) -> str:
        text = f"{self.location()}: {self.message}"
        if self.value is not None:
            text += f" (found {self.value!r})"
        if self.expected:
            text += f"; expected {self.expected}"
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


@dataclass
class EvaluationError(Exception):
    """Base of every error the toolkit raises on purpose; its message is for the user."""

    message: str
    file: str | None = None
    line: int | None = None
    column: str | None = None
    key: str | None = None
    expected: str | None = None
    findings: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        where = ", ".join(
            p
            for p in (
                self.file,
                f"line {self.line}" if self.line is not None else None,
                f"column {self.column!r}" if self.column else None,
                f"key {self.key!r}" if self.key else None,
            )
            if p
        )
        text = f"{where}: {self.message}" if where else self.message
        if self.expected:
            text += f"; expected {self.expected}"
        for finding in self.findings:
            text += f"\n  - {finding.describe()}"
        return text


class InputFileError(EvaluationError):
    """An input file cannot be used at all (unreadable, wrong shape, missing columns)."""


class IdentifierError(EvaluationError):
    """An input holds a direct identifier (name, NI number, email, phone, birth date, postcode)."""


class ParamsError(EvaluationError):
    """A parameters file is malformed or holds a value outside what the model accepts."""


class TemplateError(EvaluationError):
    """A document template or narrative refers to something that does not exist."""


class PipelineError(EvaluationError):
    """A step of the report run failed; names the step, area and what went wrong."""

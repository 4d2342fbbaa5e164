"""The register of named figures: every number a document prints, with its definition and source.

Documents name figures (``{fig:referrals}``); they never compute or type them. A figure's value is
stored unformatted with its unit, and formatted only at presentation.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

Unit = Literal["count", "proportion", "money", "date", "text", "number"]
REGISTER_VERSION = 1


@dataclass(frozen=True)
class Figure:
    """One registered figure. Proportions are stored as 0 to 1; money in pounds; dates as ISO text."""

    name: str
    value: float | int | str | None
    unit: Unit
    definition: str
    source: str
    lower: float | None = None
    upper: float | None = None
    suppressed: bool = False  # withheld by disclosure control; documents print the GSS marker


class FigureRegister:
    """Figures by name; a name is registered once (a second registration is a programming error)."""

    def __init__(self, figures: list[Figure] | None = None) -> None:
        self._figures: dict[str, Figure] = {}
        for f in figures or []:
            self.add(f)

    def add(self, figure: Figure) -> Figure:
        if figure.name in self._figures:
            raise ValueError(f"figure {figure.name!r} registered twice")
        value = figure.value
        if isinstance(value, float) and math.isnan(value):
            figure = Figure(**{**asdict(figure), "value": None})
        if isinstance(value, dt.date):
            figure = Figure(**{**asdict(figure), "value": value.isoformat()})
        self._figures[figure.name] = figure
        return figure

    def register(
        self, name: str, value: object, unit: Unit, definition: str, source: str, **kw: object
    ) -> Figure:
        return self.add(Figure(name=name, value=value, unit=unit, definition=definition, source=source, **kw))  # type: ignore[arg-type]

    def merge(self, other: FigureRegister) -> FigureRegister:
        return FigureRegister([*self, *other])

    def __getitem__(self, name: str) -> Figure:
        return self._figures[name]

    def __contains__(self, name: object) -> bool:
        return name in self._figures

    def __iter__(self):
        return iter(sorted(self._figures.values(), key=lambda f: f.name))

    def __len__(self) -> int:
        return len(self._figures)

    def names(self) -> list[str]:
        return sorted(self._figures)

    def to_json(self) -> str:
        return (
            json.dumps(
                {"version": REGISTER_VERSION, "figures": [asdict(f) for f in self]}, indent=2, sort_keys=True
            )
            + "\n"
        )

    @classmethod
    def from_json(cls, text: str) -> FigureRegister:
        data = json.loads(text)
        if data.get("version") != REGISTER_VERSION:
            raise ValueError(f"figure register version {data.get('version')!r}; expected {REGISTER_VERSION}")
        return cls([Figure(**f) for f in data["figures"]])

    def write(self, path: Path) -> None:
        path.write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> FigureRegister:
        return cls.from_json(path.read_text(encoding="utf-8"))

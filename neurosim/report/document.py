"""The report as a neutral document: sections of headings, paragraphs, tables, figures and notes.

Sections build these blocks and know nothing of markdown or HTML; the renderers
(`neurosim.report.markdown`, `neurosim.report.html`) know nothing of runs. So one section serves
both formats, and a new format is one more renderer.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # summary tables need no matplotlib
    from matplotlib.figure import Figure as MplFigure

DPI = 120
# a number as the formatter writes it: "97.2 ± 0.3 %", "-1.2e-05", "35000 ± 14142", "12.5k", "1/2"
_NUMBER = re.compile(
    r"^[-+−]?(\d[\d,]*\.?\d*|\.\d+)(e[-+]?\d+)?(/\d+)?(k| ?%| s)?( ± [\d.,e+-]+( ?%| s)?)?$"
)


@dataclasses.dataclass(frozen=True)
class Code:
    """A table cell shown verbatim in a monospace font (run ids)."""

    text: str

    def __str__(self) -> str:
        return self.text


Cell = str | int | float | Code


@dataclasses.dataclass(frozen=True)
class Heading:
    """A heading inside a section (the section's own title is level 2)."""

    text: str
    level: int = 3


@dataclasses.dataclass(frozen=True)
class Paragraph:
    text: str


@dataclasses.dataclass(frozen=True)
class Note:
    """A remark that qualifies the block before it: how to read a table, what was left out."""

    text: str


@dataclasses.dataclass(frozen=True)
class Table:
    """Rows of cells under headers; numeric columns are right-aligned so digits line up.

    `numeric` says which columns are numbers; by default a column is numeric when every
    non-empty cell reads as a number (with an optional "± sd", "%", "s" or "k").
    """

    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    numeric: Sequence[bool] | None = None

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.headers):
                raise ValueError(f"a row has {len(row)} cells for {len(self.headers)} headers")

    def numeric_columns(self) -> list[bool]:
        if self.numeric is not None:
            return list(self.numeric)
        return [
            any(_is_number(row[i]) for row in self.rows)
            and all(_is_number(row[i]) or str(row[i]) in ("", "–") for row in self.rows)
            for i in range(len(self.headers))
        ]


def _is_number(cell: Cell) -> bool:
    if isinstance(cell, Code):
        return False
    if isinstance(cell, int | float):
        return True
    return bool(_NUMBER.match(cell.strip()))


@dataclasses.dataclass(frozen=True)
class Figure:
    """A figure rendered once to PNG bytes; both renderers use the same image.

    `name` becomes the PNG's file name (made unique by the renderer), `alt` the text read in
    place of the image, `caption` what to look for in it.
    """

    name: str
    png: bytes
    alt: str
    caption: str

    @classmethod
    def from_matplotlib(cls, fig: MplFigure, name: str, alt: str, caption: str) -> Figure:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI)
        return cls(name, buffer.getvalue(), alt, caption)


Block = Heading | Paragraph | Note | Table | Figure


@dataclasses.dataclass(frozen=True)
class Section:
    title: str
    blocks: Sequence[Block]

    @property
    def anchor(self) -> str:
        return slug(self.title).lower()


@dataclasses.dataclass(frozen=True)
class Document:
    title: str
    description: str | None
    sections: Sequence[Section]


def slug(name: str) -> str:
    """A file- and URL-safe version of a name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "figure"


def unique_names(document: Document) -> dict[int, str]:
    """One distinct PNG file name per figure, keyed by id(figure); later look-alikes numbered."""
    names: dict[int, str] = {}
    taken: set[str] = set()
    for section in document.sections:
        for block in section.blocks:
            if isinstance(block, Figure):
                stem, k = slug(block.name), 1
                name = f"{stem}.png"
                while name in taken:
                    k += 1
                    name = f"{stem}_{k}.png"
                taken.add(name)
                names[id(block)] = name
    return names

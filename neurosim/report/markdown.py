"""Render a Document as GitHub-flavoured markdown, its figures as PNG files beside it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from neurosim.report.document import (
    Block,
    Cell,
    Code,
    Document,
    Figure,
    Heading,
    Note,
    Paragraph,
    Table,
    unique_names,
)


def write_markdown(document: Document, path: Path) -> Path:
    """Write `path` and one PNG per figure into its folder; return `path`."""
    names = unique_names(document)
    for section in document.sections:
        for block in section.blocks:
            if isinstance(block, Figure):
                (path.parent / names[id(block)]).write_bytes(block.png)
    path.write_text(render_markdown(document, names))
    return path


def render_markdown(document: Document, names: dict[int, str]) -> str:
    parts = [f"# {document.title}\n"]
    if document.description:
        parts.append(document.description.strip() + "\n")
    for section in document.sections:
        parts.append(f"## {section.title}\n")
        parts += [_block(block, names) for block in section.blocks]
    return "\n".join(parts)


def _block(block: Block, names: dict[int, str]) -> str:
    if isinstance(block, Heading):
        return f"{'#' * block.level} {block.text}\n"
    if isinstance(block, Paragraph):
        return block.text + "\n"
    if isinstance(block, Note):
        return f"*{block.text}*\n"
    if isinstance(block, Table):
        return markdown_table(block.headers, block.rows, block.numeric_columns())
    if isinstance(block, Figure):
        alt = block.alt.replace("[", "\\[").replace("]", "\\]")
        return f"![{alt}]({names[id(block)]})\n\n*{block.caption}*\n"
    raise TypeError(f"no markdown for {type(block).__name__}")


def markdown_table(
    headers: Sequence[str], rows: Sequence[Sequence[Cell]], numeric: Sequence[bool]
) -> str:
    """A table whose numeric columns are right-aligned; '|' inside cells is escaped."""

    def cell(value: Cell) -> str:
        text = f"`{value}`" if isinstance(value, Code) else str(value)
        return text.replace("|", "\\|")

    def line(values: Sequence[Cell]) -> str:
        return "| " + " | ".join(map(cell, values)) + " |"

    rule = "| " + " | ".join("---:" if right else "---" for right in numeric) + " |"
    return "\n".join([line(headers), rule, *map(line, rows)]) + "\n"

"""Render a Document as one self-contained HTML page: inline CSS, images as data URIs, no script.

One file that opens offline in any browser and can be mailed or archived as it is: nothing is
fetched from the network and nothing needs JavaScript.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape
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
    slug,
)

CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #f6f7f9; color: #1d2330;
  font: 16px/1.55 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; }
main { max-width: 78rem; margin: 0 auto; padding: 2rem 2.5rem 4rem; background: #fff;
  box-shadow: 0 0 0 1px #e3e6eb; }
h1 { font-size: 2rem; margin: 0 0 .5rem; }
h2 { font-size: 1.45rem; margin: 2.6rem 0 .8rem; padding-bottom: .3rem;
  border-bottom: 2px solid #e3e6eb; }
h3 { font-size: 1.15rem; margin: 1.8rem 0 .6rem; }
p { max-width: 52rem; }
.description { font-size: 1.05rem; color: #3a4252; }
nav.toc { background: #f1f4f8; border: 1px solid #dde3ea; border-radius: 6px;
  padding: .8rem 1.4rem; margin: 1.5rem 0 2rem; }
nav.toc h2 { font-size: 1rem; margin: 0 0 .4rem; border: 0; padding: 0; }
nav.toc ol { margin: 0; padding-left: 1.3rem; }
nav.toc ol ol { list-style: lower-alpha; }
nav.toc a { color: #1f5fa8; text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
.table-wrap { overflow-x: auto; margin: 1rem 0; }
table { border-collapse: collapse; font-size: .88rem; font-variant-numeric: tabular-nums; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid #e3e6eb; text-align: left;
  vertical-align: top; white-space: nowrap; }
thead th { background: #eef2f7; border-bottom: 2px solid #c9d1dc; vertical-align: bottom;
  white-space: normal; min-width: 3.5rem; }
tbody tr:nth-child(even) { background: #fafbfc; }
tbody tr:hover { background: #f0f5fb; }
td.num, th.num { text-align: right; white-space: nowrap; }
code { font: .88em/1.4 "DejaVu Sans Mono", Menlo, Consolas, monospace; background: #f1f3f6;
  padding: .05rem .3rem; border-radius: 3px; }
figure { margin: 1.4rem 0 2rem; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #e3e6eb; }
figcaption { margin-top: .5rem; max-width: 52rem; font-size: .9rem; color: #4a5263; }
.note { max-width: 52rem; font-size: .9rem; font-style: italic; color: #4a5263; }
"""


def write_html(document: Document, path: Path) -> Path:
    path.write_text(render_html(document))
    return path


def render_html(document: Document) -> str:
    ids = _Ids()
    body: list[str] = []
    toc: list[tuple[str, str, list[tuple[str, str]]]] = []
    for section in document.sections:
        anchor = ids.new(section.title)
        children: list[tuple[str, str]] = []
        body.append(f'<section>\n<h2 id="{anchor}">{escape(section.title)}</h2>')
        for block in section.blocks:
            if isinstance(block, Heading):
                sub = ids.new(f"{section.title}-{block.text}")
                children.append((sub, block.text))
                level = min(max(block.level, 3), 6)
                body.append(f'<h{level} id="{sub}">{escape(block.text)}</h{level}>')
            else:
                body.append(_block(block))
        body.append("</section>")
        toc.append((anchor, section.title, children))
    head = [f"<h1>{escape(document.title)}</h1>"]
    for paragraph in (document.description or "").strip().split("\n\n"):
        if paragraph.strip():
            head.append(f'<p class="description">{escape(paragraph.strip())}</p>')
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<link rel="icon" href="data:,">',  # no favicon request
            f"<title>{escape(document.title)}</title>",
            f"<style>{CSS}</style>",
            "</head>",
            "<body>",
            "<main>",
            *head,
            _toc(toc),
            *body,
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


class _Ids:
    """Unique element ids from titles, so every table-of-contents link has one target."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def new(self, text: str) -> str:
        stem = slug(text).lower() or "section"
        anchor, k = stem, 1
        while anchor in self.taken:
            k += 1
            anchor = f"{stem}-{k}"
        self.taken.add(anchor)
        return anchor


def _toc(entries: list[tuple[str, str, list[tuple[str, str]]]]) -> str:
    items = []
    for anchor, title, children in entries:
        sub = "".join(f'<li><a href="#{a}">{escape(t)}</a></li>' for a, t in children)
        sub = f"<ol>{sub}</ol>" if sub else ""
        items.append(f'<li><a href="#{anchor}">{escape(title)}</a>{sub}</li>')
    return f'<nav class="toc"><h2>Contents</h2><ol>{"".join(items)}</ol></nav>'


def _block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{escape(block.text)}</p>"
    if isinstance(block, Note):
        return f'<p class="note">{escape(block.text)}</p>'
    if isinstance(block, Table):
        return html_table(block.headers, block.rows, block.numeric_columns())
    if isinstance(block, Figure):
        data = base64.b64encode(block.png).decode("ascii")
        return (
            f'<figure><img src="data:image/png;base64,{data}" alt="{escape(block.alt)}">'
            f"<figcaption>{escape(block.caption)}</figcaption></figure>"
        )
    raise TypeError(f"no HTML for {type(block).__name__}")


def html_table(
    headers: Sequence[str], rows: Sequence[Sequence[Cell]], numeric: Sequence[bool]
) -> str:
    def cell(tag: str, value: Cell, right: bool) -> str:
        text = (
            f"<code>{escape(str(value))}</code>" if isinstance(value, Code) else escape(str(value))
        )
        if tag == "th":  # long metric names may break after their underscores
            text = text.replace("_", "_<wbr>")
        return f'<{tag} class="num">{text}</{tag}>' if right else f"<{tag}>{text}</{tag}>"

    head = "".join(cell("th", h, right) for h, right in zip(headers, numeric, strict=True))
    body = "".join(
        "<tr>"
        + "".join(cell("td", v, right) for v, right in zip(row, numeric, strict=True))
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )

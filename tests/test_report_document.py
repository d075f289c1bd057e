"""The document model and its two renderers, on hand-written documents."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from matplotlib.figure import Figure as MplFigure

from neurosim.report.document import (
    Code,
    Document,
    Figure,
    Heading,
    Note,
    Paragraph,
    Section,
    Table,
)
from neurosim.report.html import render_html
from neurosim.report.markdown import markdown_table, write_markdown

PNG = b"\x89PNG\r\n\x1a\nfake"


def test_numeric_columns_are_detected_from_what_the_formatter_writes():
    table = Table(
        ["label", "accuracy", "steps", "solved", "note", "id"],
        [
            ["a", "97.2 ± 0.3", "12500", "1/2", "not solved (best 480)", Code("abc")],
            ["b", "–", "-1.5e-05", "0/2", "x", Code("def")],
        ],
    )
    assert table.numeric_columns() == [False, True, True, True, False, False]
    assert Table(["n"], [[3], [4.5]]).numeric_columns() == [True]
    assert Table(["n"], [["–"]]).numeric_columns() == [False]  # nothing but blanks: not numeric


def test_rows_must_match_the_headers():
    with pytest.raises(ValueError, match="2 cells for 3 headers"):
        Table(["a", "b", "c"], [["x", "y"]])


def test_markdown_table_right_aligns_numbers_and_escapes_pipes():
    assert markdown_table(["a", "b"], [[Code("r1"), "x|y"]], [False, True]) == (
        "| a | b |\n| --- | ---: |\n| `r1` | x\\|y |\n"
    )


def test_markdown_writes_each_figure_once_under_a_unique_name(tmp_path: Path):
    twins = [
        Figure("raster a", PNG, "first", "c1"),
        Figure("raster/a", PNG + b"2", "alt [x]", "c2"),
    ]
    document = Document(
        "t",
        "What it shows.",
        [Section("S", [Heading("h"), Paragraph("p"), *twins, Note("n")])],
    )
    text = write_markdown(document, tmp_path / "report.md").read_text()
    assert text == (
        "# t\n\nWhat it shows.\n\n## S\n\n### h\n\np\n\n![first](raster_a.png)\n\n*c1*\n\n"
        "![alt \\[x\\]](raster_a_2.png)\n\n*c2*\n\n*n*\n"
    )
    assert (tmp_path / "raster_a.png").read_bytes() == PNG
    assert (tmp_path / "raster_a_2.png").read_bytes() == PNG + b"2"


def test_html_is_self_contained_escaped_and_linked_from_its_contents():
    figure = Figure("f", PNG, 'a "quoted" <alt>', "caption & more")
    document = Document(
        "R&D",
        "one\n\ntwo",
        [
            Section("Results", [Table(["x", "n"], [["<b>", "1.0"]])]),
            Section("Results", [Heading("sub"), figure]),
        ],
    )
    html = render_html(document)
    assert "<title>R&amp;D</title>" in html
    assert '<p class="description">one</p>\n<p class="description">two</p>' in html
    assert '<a href="#results">Results</a>' in html and '<a href="#results-2">Results</a>' in html
    assert '<h2 id="results-2">Results</h2>' in html and 'href="#results-sub"' in html
    assert '<td>&lt;b&gt;</td><td class="num">1.0</td>' in html
    encoded = base64.b64encode(PNG).decode()
    assert f'src="data:image/png;base64,{encoded}" alt="a &quot;quoted&quot; &lt;alt&gt;"' in html
    assert "<figcaption>caption &amp; more</figcaption>" in html
    assert "<script" not in html and "http" not in html


def test_a_matplotlib_figure_is_rendered_once_to_png():
    fig = MplFigure(figsize=(2, 1))
    fig.subplots().plot([0, 1])
    block = Figure.from_matplotlib(fig, "line", "a line", "caption")
    assert block.png.startswith(b"\x89PNG")

"""Write an experiment's report: its runs grouped, every section that applies, two renderings.

The writer never names a family: it asks each registered section which groups it applies to,
so a family's sections appear exactly when its runs do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from neurosim.errors import UserError
from neurosim.report.context import ReportContext
from neurosim.report.document import Document, Note, Section
from neurosim.report.grouping import RunLike, group_runs
from neurosim.report.html import write_html
from neurosim.report.markdown import write_markdown
from neurosim.report.section import SECTIONS, all_sections


class StoreLike(Protocol):
    def runs(self, experiment: str | None = None) -> Sequence[RunLike]: ...


@dataclasses.dataclass(frozen=True)
class ReportPaths:
    markdown: Path
    html: Path


def write_report(
    store: StoreLike,
    experiment: str,
    out_dir: Path,
    description: str | None = None,
    sections: Sequence[str] | None = None,
) -> ReportPaths:
    """Write out_dir/report.md (PNGs beside it) and the self-contained out_dir/report.html.

    `sections` names the sections to include (a spec's `[report] sections`), in page order
    whatever order they are named in; None means every section that applies.
    """
    records = list(store.runs(experiment))
    if not records:
        raise UserError(f"no runs are stored for experiment '{experiment}'")
    document = build_document(records, experiment, description, sections)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return ReportPaths(
        markdown=write_markdown(document, out_dir / "report.md"),
        html=write_html(document, out_dir / "report.html"),
    )


def build_document(
    records: Sequence[RunLike],
    experiment: str,
    description: str | None = None,
    sections: Sequence[str] | None = None,
) -> Document:
    groups = group_runs(records)
    context = ReportContext()
    available = all_sections()
    if sections is None:
        chosen = list(available.values())
    else:  # an unknown name gets the registry's error, with a suggestion
        chosen = [available.get(name) or SECTIONS.get(name) for name in sections]
    chosen.sort(key=lambda s: (s.order, s.name))
    built = []
    for report_section in chosen:
        applicable = report_section.groups(context, groups)
        blocks = report_section.build(context, applicable) if applicable else []
        if blocks:
            built.append(Section(report_section.title, blocks))
    if context.notes:
        built.append(Section("Notes", [Note(note) for note in context.notes]))
    tasks = sorted({r.task for r in records})
    seeds = sorted({r.seed for r in records})
    overview = (
        f"{len(records)} runs: {len(groups)} learner configurations on task"
        f"{'s' if len(tasks) > 1 else ''} {', '.join(tasks)}, seeds {', '.join(map(str, seeds))}."
        " Values are mean ± sd over seeds (sample sd; none shown for a single seed)."
    )
    text = f"{description.strip()}\n\n{overview}" if description else overview
    return Document(experiment, text, built)

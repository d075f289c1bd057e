"""The regression family's report section: each learner's fitted curve over the test data."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure as MplFigure

from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Figure
from neurosim.report.grouping import RunGroup
from neurosim.report.section import in_family, section


@section("fits", "Fitted curves", 250, applies=in_family("regression"), needs=("arrays",))
def fits(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    fig = MplFigure(figsize=(4 * len(groups), 3.2), layout="constrained")
    axes = fig.subplots(1, len(groups), squeeze=False, sharey=True)[0]
    for ax, group in zip(axes, groups, strict=True):
        run = group.runs[0]
        data = context.load_first(run, "arrays", "fit", required=("x", "y_true", "y_pred"))
        if data is None:
            continue
        ax.plot(data["x"], data["y_true"], ".", color="0.6", markersize=3, label="test data")
        ax.plot(data["x"], data["y_pred"], color="C0", label="prediction")
        ax.set(title=f"{group.title}, seed {run.seed}", xlabel="x")
    axes[0].set_ylabel("y")
    axes[0].legend(frameon=False)
    caption = (
        "Each learner's prediction (line) over 200 test inputs (dots, with their noise). Too few"
        " basis functions cannot bend with the sine; the error then sits far above the noise."
    )
    return [Figure.from_matplotlib(fig, "fits", "fitted curves per learner", caption)]

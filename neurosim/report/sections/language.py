"""Sections of the language family: perplexity against the floor and the published figures,
validation perplexity over training, perplexity by position in the sentence, generated text,
nearest neighbours in the learned embedding, and a recurrent net's gates over one sentence.

The tasks are built again here (cached) from each run's resolved task parameters: the floor and
the test stream (for positions in the sentence) come from the task, not from the runs.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence

import numpy as np

from neurosim.errors import UserError
from neurosim.metrics import METRICS, format_value
from neurosim.plotting.language import (
    CurvePanel,
    PositionPanel,
    plot_perplexity_by_position,
    plot_perplexity_curves,
    plot_sentence_gates,
)
from neurosim.registry import TASKS
from neurosim.report.context import ReportContext
from neurosim.report.document import Block, Figure, Heading, Note, Table
from neurosim.report.grouping import RunGroup, by_task
from neurosim.report.section import in_family, section
from neurosim.tasks.language import EOS_ID, LanguageTask

FAMILY = in_family("language")
LONGEST_POSITION = 30  # positions beyond this are pooled into one point
MIN_TOKENS_AT_POSITION = 1000  # fewer make a noisy point: from there on, positions are pooled
GATE_UNITS = 32

_RESULTS_NOTE = (
    "Perplexity = exp of the mean cross-entropy per token over the whole split, <eos> and <unk>"
    " included, each token predicted from the tokens before it; every model is scored on the same"
    " tokens. floor: the perplexity of the source that generated the text, on the same tokens (no"
    " model can go below it except by the luck of a finite sample); ratio = test perplexity /"
    " floor. train tokens/s counts every epoch; score tokens/s is the test split's scoring."
)
_CURVES_CAPTION = (
    "Validation perplexity after each epoch (log y): thin lines single seeds, thick their mean;"
    " dotted: models counted in one pass (n-grams), on the same split; dashed black: the floor"
    " where the source is known. A curve that turns up while its training loss still falls has"
    " begun to overfit; the kept model is the one with the lowest validation perplexity."
)
_POSITION_CAPTION = (
    "Test perplexity of the tokens at each position in their sentence (1: the first word after"
    " <eos>; the last point pools every later position, from the first one with fewer than"
    " {min_tokens} tokens), all seeds pooled (log y); dashed: the floor over all positions. An"
    " n-gram sees at most its order − 1 previous tokens, so it gains nothing from a longer"
    " sentence beyond that; a recurrent net that carries context keeps improving along it."
)
_GATES_CAPTION = (
    "The first {units} units of the trained net on the first test sentence, read word by word"
    " (each column is the state after reading that word, from which the next word is"
    " predicted). Gates on one scale from 0 (closed) to 1 (open); cell and hidden state on a"
    " diverging scale centred on 0. Units whose forget gate stays near 1 through the sentence"
    " carry information from its start; a gate that snaps at <eos> resets at sentence ends."
)


@section("language-results", "Language models", 100, applies=FAMILY)
def results(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    blocks: list[Block] = []
    for task_name, members in by_task(groups).items():
        task = _task(members[0])
        floor = task.floor_perplexity("test") if task else None
        headers = [
            "label",
            "learner",
            "seeds",
            "val perplexity",
            "test perplexity",
            *(["test / floor"] if floor else []),
            "train tokens/s",
            "score tokens/s",
            METRICS.get("fit_s").title,
        ]
        rows = []
        for group in sorted(members, key=_sort_key):
            test = group.values("test", "perplexity")
            ratio = [value / floor for value in test] if floor else None
            rows.append(
                [
                    group.label,
                    _learner_text(group),
                    len(group.runs),
                    format_value("perplexity", group.values("val", "perplexity")),
                    format_value("perplexity", test),
                    *([_ratio(ratio)] if ratio is not None else []),
                    format_value("train_tokens_per_s", group.values("test", "train_tokens_per_s")),
                    format_value("score_tokens_per_s", group.values("test", "score_tokens_per_s")),
                    format_value("fit_s", group.timings("fit_s")),
                ]
            )
        blocks += [Heading(task_name), Table(headers, rows)]
        if task is not None:
            blocks.append(Note(_task_note(task)))
    return [*blocks, Note(_RESULTS_NOTE)]


@section("perplexity-curves", "Validation perplexity over training", 300, applies=FAMILY)
def perplexity_curves(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    panels = []
    for task_name, members in by_task(groups).items():
        curves, flat = {}, {}
        for group in members:
            runs = [_column_pair(run.history, "epoch", "val_perplexity") for run in group.runs]
            runs = [(x, y) for x, y in runs if len(x)]
            if runs and max(len(x) for x, _ in runs) > 1:
                curves[group.label] = runs
            elif values := group.values("val", "perplexity"):
                flat[group.label] = float(np.mean(values))
        task = _task(members[0])
        if curves:
            floor = task.floor_perplexity("val") if task else None
            panels.append(CurvePanel(task_name, curves, flat, floor))
    if not panels:
        return []
    fig = plot_perplexity_curves(panels)
    alt = "validation perplexity against epochs per task"
    return [Figure.from_matplotlib(fig, "perplexity_curves", alt, _CURVES_CAPTION)]


@section(
    "perplexity-by-position",
    "Perplexity by position in the sentence",
    210,
    applies=FAMILY,
    needs=("arrays",),
)
def perplexity_by_position(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    panels = []
    for task_name, members in by_task(groups).items():
        task = _task(members[0])
        if task is None:
            continue
        positions = _positions(task.split("test"))
        last = _last_position(positions)
        lines = {}
        for group in sorted(members, key=_sort_key):
            pooled = [
                data["log_probs"]
                for run in group.runs
                if (data := context.load_first(run, "arrays", "test_log_probs", ("log_probs",)))
                is not None
                and len(data["log_probs"]) == len(positions)
            ]
            if pooled:
                lines[group.label] = _perplexity_by_position(np.stack(pooled), positions, last)
        if lines:
            shown = np.arange(1, last + 1)
            floor = task.floor_perplexity("test")
            panels.append(PositionPanel(task_name, shown, lines, floor))
    if not panels:
        return []
    fig = plot_perplexity_by_position(panels)
    alt = "test perplexity against position in the sentence"
    caption = _POSITION_CAPTION.format(min_tokens=MIN_TOKENS_AT_POSITION)
    return [Figure.from_matplotlib(fig, "perplexity_by_position", alt, caption)]


@section("generated-text", "Generated text", 400, applies=FAMILY, needs=("json",))
def generated_text(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    blocks: list[Block] = []
    for task_name, members in by_task(groups).items():
        rows = []
        for group in sorted(members, key=_sort_key):
            found = context.first_with(group, "json", "samples")
            if found is None:
                continue
            run, samples = found
            for sample in samples:
                rows.append([group.label, run.seed, sample["temperature"], sample["text"]])
        if rows:
            blocks += [Heading(task_name), Table(["label", "seed", "temperature", "text"], rows)]
    if blocks:
        blocks.append(
            Note(
                "Text sampled from each model after <eos>, one token at a time, the"
                " log-probabilities divided by the temperature (below 1: safer, more frequent"
                " words; 1: the model's own distribution). Sentence ends are shown as <eos>."
            )
        )
    return blocks


@section(
    "embedding-neighbours",
    "Nearest neighbours in the embedding",
    410,
    applies=FAMILY,
    needs=("json",),
)
def embedding_neighbours(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    blocks: list[Block] = []
    for task_name, members in by_task(groups).items():
        for group in sorted(members, key=_sort_key):
            found = context.first_with(group, "json", "neighbours")
            if found is None or not found[1]:
                continue
            run, neighbours = found
            rows = [
                [word, ", ".join(f"{other} ({cosine:.2f})" for other, cosine in near)]
                for word, near in neighbours.items()
            ]
            blocks += [
                Heading(f"{group.label} on {task_name}, seed {run.seed}"),
                Table(["word", "nearest words (cosine of the input embeddings)"], rows),
            ]
    if blocks:
        blocks.append(
            Note(
                "Words whose learned input embeddings point the same way: a language model"
                " that learned how words are used places words that fill the same slots"
                " (numbers, names, function words) near each other."
            )
        )
    return blocks


@section("sentence-gates", "Gates over one sentence", 405, applies=FAMILY, needs=("activity",))
def sentence_gates(context: ReportContext, groups: Sequence[RunGroup]) -> list[Block]:
    blocks: list[Block] = []
    for task_name, members in by_task(groups).items():
        for group in sorted(members, key=_sort_key):
            found = context.first_with(group, "activity", "gates")
            if found is None:
                continue
            run, activity = found
            gate_names = [name for name in activity.signals if name.endswith("_gate")]
            words = activity.meta.get("words")
            if not gate_names or not words:
                continue  # an Elman net has no gates
            order = [*gate_names, "cell", "hidden"]
            shown = {name: activity.signals[name] for name in order if name in activity.signals}
            title = f"{group.label} on {task_name}, seed {run.seed}: the first test sentence"
            fig = plot_sentence_gates(words, shown, title, GATE_UNITS)
            blocks += [
                Heading(f"{group.label} ({task_name})"),
                Figure.from_matplotlib(
                    fig,
                    f"sentence_gates_{task_name}_{group.name}",
                    f"gates of {group.title} over a sentence",
                    _GATES_CAPTION.format(units=GATE_UNITS),
                ),
            ]
    return blocks


def _column_pair(rows: list[dict[str, float]], x: str, y: str) -> tuple[np.ndarray, np.ndarray]:
    """Two columns of a history, from the rows that have both."""
    kept = [row for row in rows if x in row and y in row]
    return np.array([row[x] for row in kept]), np.array([row[y] for row in kept])


def _positions(tokens: np.ndarray) -> np.ndarray:
    """1-based position of each token in its sentence (the stream starts after an <eos>)."""
    index = np.arange(len(tokens))
    ends = np.flatnonzero(tokens == EOS_ID)
    starts = np.concatenate([[0], ends + 1])[: len(ends) + 1]
    sentence = np.searchsorted(ends, index, side="left")  # an <eos> belongs to its sentence
    return index - starts[sentence] + 1


def _last_position(positions: np.ndarray) -> int:
    """The position from which on tokens are pooled: the first with fewer than
    MIN_TOKENS_AT_POSITION tokens, at most LONGEST_POSITION (and at least 2)."""
    counts = np.bincount(positions, minlength=LONGEST_POSITION + 2)[1 : LONGEST_POSITION + 1]
    sparse = np.flatnonzero(counts < MIN_TOKENS_AT_POSITION)
    return max(2, int(sparse[0]) + 1 if len(sparse) else LONGEST_POSITION)


def _perplexity_by_position(log_probs: np.ndarray, positions: np.ndarray, last: int) -> np.ndarray:
    """exp of the mean negative log-probability at each position 1..last, `last` pooling every
    later one (seeds pooled: rows of `log_probs`)."""
    bucket = np.minimum(positions, last)
    total = np.bincount(bucket, weights=-log_probs.mean(axis=0), minlength=last + 1)
    count = np.bincount(bucket, minlength=last + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.exp(total[1:] / count[1:])


def _ratio(values: list[float]) -> str:
    mean, sd = float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return f"{mean:.3f}" + (f" ± {sd:.3f}" if len(values) > 1 else "")


def _task_note(task: LanguageTask) -> str:
    sizes = ", ".join(f"{name} {len(tokens):,} tokens" for name, tokens in task.splits.items())
    parts = [f"{task.name}: vocabulary {task.vocab_size:,} words (with <unk>, <eos>); {sizes}."]
    if task.floor:
        floors = ", ".join(
            f"{split} {math.exp(value):.2f}" for split, value in sorted(task.floor.items())
        )
        parts.append(f"Floor (the source's own perplexity): {floors}.")
    parts += [f"{key}: {value}." for key, value in task.references.items()]
    return " ".join(parts)


def _learner_text(group: RunGroup) -> str:
    """The learner and what distinguishes its kind: an n-gram's order, an RNN LM's cell."""
    params = group.runs[0].config.get("params") or {}
    detail = [f"{key} {params[key]}" for key in ("order", "cell") if key in params]
    return f"{group.learner} ({', '.join(detail)})" if detail else group.learner


def _sort_key(group: RunGroup) -> tuple[float, str]:
    values = group.values("test", "perplexity")
    return (-float(np.mean(values)) if values else math.inf, group.label)


def _task(group: RunGroup) -> LanguageTask | None:
    run = group.runs[0]
    params = run.config.get("task_params") or {}
    return _built_task(group.task, run.seed, json.dumps(params, sort_keys=True))


@functools.cache
def _built_task(name: str, seed: int, params: str) -> LanguageTask | None:
    """None when the task cannot be built here (no longer registered, or of another family)."""
    try:
        task = TASKS.get(name)(seed=seed, **json.loads(params))
    except UserError:
        return None
    return task if isinstance(task, LanguageTask) else None

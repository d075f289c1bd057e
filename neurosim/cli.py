"""The `neurosim` command: run experiments, rebuild their reports, show or export one stored run,
list what can be named.

Anything the user got wrong ends as one line `neurosim: error: <message>` and exit status 2,
never a traceback; a crashed run is stored as failed and named at the end (exit status 1).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from neurosim.errors import EXIT_USER_ERROR, RuleError, UserError
from neurosim.experiment.api import ExperimentOutcome, run_experiment, use_models, write_report
from neurosim.experiment.engines import ENGINES
from neurosim.experiment.store import RunRecord, Store
from neurosim.experiment.stored_run import open_run
from neurosim.metrics import METRICS
from neurosim.plasticity import (
    RULES,
    PlasticityRule,
    RuleFile,
    discover,
    find_rule,
    load_rule,
    search_path,
    skipped_files,
)
from neurosim.registry import LEARNERS, TASKS
from neurosim.report.summary import summary_table

EXIT_RUN_FAILED = 1
EXIT_INTERRUPTED = 130  # the shell's convention for SIGINT
DEFAULT_RESULTS = Path("results")
DEFAULT_RULE_CHECKS = Path("rule-checks")
DEFAULT_SHOWN = Path("shown")


def _show(store: Store, experiment: str, records: list[RunRecord]) -> None:
    print(summary_table(records))
    if records:
        _print_reports(write_report(store, experiment))


def _print_reports(paths: Sequence[Path]) -> None:
    for path in paths:
        print(f"report: {path}")


def _exit_status(outcome: ExperimentOutcome) -> int:
    """Name every failed run; 1 if any crashed, 2 if all failures were user errors."""
    for failure in outcome.failures:
        where = f"{failure.run.title} (run {failure.run.run_id})"
        if failure.user_error:
            print(f"neurosim: error: {where}: {failure.message}", file=sys.stderr)
        else:
            print(
                f"failed: {where}: {failure.message}; traceback in "
                f"{failure.directory / 'error.txt'}",
                file=sys.stderr,
            )
    if any(not failure.user_error for failure in outcome.failures):
        return EXIT_RUN_FAILED
    return EXIT_USER_ERROR if outcome.failures else 0


def cmd_run(args: argparse.Namespace) -> int:
    outcome = run_experiment(
        args.spec,
        results=args.results,
        engine=args.engine,
        jobs=args.jobs,
        address=args.address,
        models=args.models,
    )
    if outcome.interrupted:
        print(
            f"interrupted: {len(outcome.stored)} runs stored, {outcome.not_stored} not run; "
            "rerun the same command to resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    print(outcome.summary)
    _print_reports(outcome.reports)
    return _exit_status(outcome)


def _record_json(record: RunRecord) -> dict[str, object]:
    return {
        "run_id": record.run_id,
        "experiment": record.experiment,
        "task": record.task,
        "learner": record.learner,
        "label": record.label,
        "seed": record.seed,
        "task_params": record.config["task_params"],
        "params": record.config["params"],
        "budget": record.config["budget"],
        "grid": record.config["grid"],
        "family": record.config.get("family", ""),
        "metrics": record.metrics,
        "timings": record.timings,
        # what each metric means, from its one declaration: each record describes itself
        "metric_info": {
            name: _metric_info(name)
            for name in sorted({m for split in record.metrics.values() for m in split})
        },
    }


def _metric_info(name: str) -> dict[str, object]:
    metric = METRICS.get(name)
    return {
        "description": metric.description,
        "unit": metric.unit,
        "higher_is_better": metric.higher_is_better,
    }


def cmd_report(args: argparse.Namespace) -> int:
    store = Store(args.dir, create=False)
    known = store.experiments()
    if args.experiment is not None and args.experiment not in known:
        raise UserError(
            f"no stored runs for experiment '{args.experiment}' in '{args.dir}'; "
            f"stored: {', '.join(known) or 'none'}"
        )
    names = [args.experiment] if args.experiment else known
    if args.json:
        records = [record for name in names for record in store.runs(name)]
        print(json.dumps([_record_json(record) for record in records], indent=2))
        return 0
    if not names:
        raise UserError(f"no stored runs in '{args.dir}'")
    for name in names:
        print(f"## {name}\n")
        _show(store, name, store.runs(name))
        print()
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    use_models(args.models)
    print(f"tasks:    {', '.join(TASKS.names())}")
    print(f"learners: {', '.join(LEARNERS.names())}")
    print(f"rules:    {', '.join(RULES.names(args.models))}")
    print(f"engines:  {', '.join(ENGINES.names())}")
    from neurosim.report.section import all_sections  # matplotlib: only when listed

    print(f"report sections: {', '.join(sorted(all_sections()))}")
    return 0


def cmd_rules_list(args: argparse.Namespace) -> int:
    use_models(args.models)
    print("search path (first match wins):")
    for folder in search_path(args.models):
        missing = "" if folder.path.is_dir() else "  (missing)"
        print(f"  {folder.origin:<22} {folder.path}{missing}")
    rows = [_rule_row(found) for found in discover(args.models)]
    if not rows:
        print("\nno rule files found")
    else:
        header = ("name", "kind", "source", "reference", "path")
        widths = [max(len(row[col]) for row in [header, *rows]) for col in range(4)]
        print()
        for row in [header, *rows]:
            cells = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
            print("  ".join([*cells, *row[4:]]).rstrip())
    skipped = skipped_files(args.models)
    if skipped:
        print()
    for path in skipped:
        print(f"skipped: not a rule file (no kind/model): {path}")
    return 0


def _rule_row(found: RuleFile) -> tuple[str, ...]:
    """One line of `rules list`; a broken or shadowed file says so instead of stopping the list."""
    notes = [f"SHADOWED by {found.shadowed_by}"] if found.shadowed_by else []
    try:
        rule = load_rule(found.path)
    except RuleError as exc:
        return (found.name, "?", found.origin, "", str(found.path), f"INVALID: {exc}", *notes)
    if rule.name != found.name:
        notes.append(f"(its name field says '{rule.name}')")
    reference = rule.reference if len(rule.reference) <= 48 else rule.reference[:47] + "…"
    return (found.name, rule.kind, found.origin, reference, str(found.path), *notes)


def cmd_rules_check(args: argparse.Namespace) -> int:
    use_models(args.models)
    rule = find_rule(args.rule, args.models)
    from neurosim.spiking.rule_check import validate_rule  # brian2: imported only when needed

    validate_rule(rule)
    out_dir = args.out or DEFAULT_RULE_CHECKS / rule.name
    result = _characterize(rule, out_dir)
    if args.json:
        print(json.dumps(result, indent=2, default=_plain))
        return 0
    print(f"{rule.name}: valid ({rule.source})")
    summary = result.get("summary", sorted(result))
    for line in [summary] if isinstance(summary, str) else summary:
        print(f"  {line}")
    print(f"figures: {out_dir}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    if args.stimuli is not None and args.stimuli < 1:
        raise UserError(f"--stimuli {args.stimuli}: give a positive number of probe stimuli")
    if args.repeats < 1:
        raise UserError(f"--repeats {args.repeats}: give a positive number of repeats")
    run = open_run(args.run, args.results)
    from neurosim.show import show_run  # matplotlib, elephant: only when drawing

    out_dir = args.out or DEFAULT_SHOWN / run.run_id
    result = show_run(run, out_dir, stimuli=args.stimuli, repeats=args.repeats)
    print(f"{run.title} (run {run.run_id}): {len(result.figures)} figures in {out_dir}")
    print(f"page: {result.html}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    run = open_run(args.run, args.results)
    from neurosim.analysis.nwb import export_nwb  # pynwb: imported only when exporting

    path = export_nwb(run, args.nwb)
    size_kb = path.stat().st_size / 1024
    print(f"{run.title} (run {run.run_id}) -> {path} ({size_kb:.0f} kB, NWB)")
    return 0


def _characterize(rule: PlasticityRule, out_dir: Path) -> dict:
    from neurosim.spiking.characterize import characterize

    return characterize(rule, out_dir)


def _plain(value: object) -> object:
    """numpy numbers and arrays (via tolist) and paths, for the JSON of `rules check --json`."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neurosim",
        description="Compare learning by biological plasticity with learning by backpropagation.",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run an experiment spec (resumes where it stopped)")
    run.add_argument("spec", type=Path, help="experiment spec file (TOML)")
    run.add_argument(
        "--results", type=Path, default=DEFAULT_RESULTS, help="results directory (default: results)"
    )
    run.add_argument(
        "--engine",
        default="local",
        metavar="{" + ",".join(ENGINES.names()) + "}",
        help="who executes the runs: local processes (default) or Ray tasks",
    )
    run.add_argument(
        "--address",
        metavar="ADDR",
        help="the Ray cluster to run on, e.g. HEAD:6379 (with --engine ray; default: a local Ray)",
    )
    run.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="runs executed in parallel on this machine (default: 1)",
    )
    _models_option(run)
    run.set_defaults(command=cmd_run)

    report = commands.add_parser("report", help="rebuild reports from a results directory")
    report.add_argument("dir", type=Path, help="results directory")
    report.add_argument("--experiment", help="only this experiment")
    report.add_argument("--json", action="store_true", help="print every stored run as JSON")
    report.set_defaults(command=cmd_report)

    show = commands.add_parser(
        "show", help="draw a stored run's activity, weights and statistics (nothing is rerun)"
    )
    _run_argument(show)
    show.add_argument(
        "--out", type=Path, help="folder for the figures and page (default: shown/<run id>)"
    )
    show.add_argument(
        "--stimuli",
        type=int,
        metavar="N",
        help="also replay the stored network on the first N probe stimuli (no retraining)",
    )
    show.add_argument(
        "--repeats",
        type=int,
        default=1,
        metavar="R",
        help="with --stimuli: present each stimulus R times (trial-to-trial variability)",
    )
    show.set_defaults(command=cmd_show)

    export = commands.add_parser("export", help="write a stored run in a standard format (NWB)")
    _run_argument(export)
    export.add_argument(
        "--nwb",
        type=Path,
        required=True,
        metavar="FILE",
        help="the NWB file to write: spike times, signals, stimuli and the run's config",
    )
    export.set_defaults(command=cmd_export)

    listing = commands.add_parser("list", help="list tasks, learners and plasticity rules")
    _models_option(listing)
    listing.set_defaults(command=cmd_list)

    rules = commands.add_parser("rules", help="list, check and characterize plasticity rules")
    rule_commands = rules.add_subparsers(title="commands", required=True, metavar="COMMAND")
    rules_list = rule_commands.add_parser(
        "list", help="every rule file on the search path, where it came from, what it shadows"
    )
    _models_option(rules_list)
    rules_list.set_defaults(command=cmd_rules_list)
    check = rule_commands.add_parser(
        "check", help="validate a rule (names, units, signals), then characterize it"
    )
    check.add_argument("rule", help="a rule name on the search path, or a .toml file")
    _models_option(check)
    check.add_argument("--json", action="store_true", help="print the characterization as JSON")
    check.add_argument(
        "--out", type=Path, help="folder for the figures (default: rule-checks/<rule name>)"
    )
    check.set_defaults(command=cmd_rules_check)
    return parser


def _run_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run", help="a run's folder, or its run id (or a unique prefix) in --results"
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=DEFAULT_RESULTS,
        help="results directory to look the run id up in (default: results)",
    )


def _models_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--models",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="a folder of rule files searched before the others (repeatable)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `neurosim` console script; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse has already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USER_ERROR
    try:
        return args.command(args)
    except UserError as exc:
        print(f"neurosim: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())

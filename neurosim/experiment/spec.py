"""Experiment specs: a TOML file -> a validated `Experiment` -> the `Run`s it asks for.

Everything a user can get wrong is caught here, before any simulation starts, and raised as one
`SpecError` sentence that names the file and the field.

Expansion: runs = tasks x learner variants x seeds, where each `[[learner]]` table gives one
variant, or, when `[grid]` sweeps some of its fields, one variant per point of the cartesian
product of its own grid lists (grids of different learners are not crossed with each other).

Plasticity rules: a learner that takes one has the fields `rule` (a name on the rule search path,
or a .toml path, relative to the spec file's folder) and `rule_parameters`. A grid key
"label.rule.mu" sweeps the rule's parameter `mu`: each point sets rule_parameters.mu, and its grid
point is written {"rule_parameters": {"mu": value}}, which reads `mu=0.4` in titles and reports.

Run ids: the first 16 hex digits of the SHA-256 of the canonical JSON (sorted keys, no spaces) of
what determines a run's result: task, task_params and params (both resolved, defaults included),
learner, budget (the budget fields the learner honours, epochs resolved to the learner's default;
a field it does not honour is refused, so it can neither change an id nor be ignored silently),
seed, and `content` when the Params name a file (the plasticity rule's fingerprint, which
includes its parameters; absent otherwise; a rule given by path is hashed by file name and
content, not by the folder it lies in). Experiment name, label and grid point only say how a run
is shown, so they are not hashed: identical configs, in two
experiments or under a renamed label, share one stored result. Changing a default in a Params
dataclass changes the ids of the runs relying on it, so they are rerun. Package versions are saved
next to the result (config.json), not hashed.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import itertools
import json
import re
from pathlib import Path
from typing import Any, ClassVar

from neurosim.errors import SpecError, UserError
from neurosim.grid import grid_text
from neurosim.learner import Budget
from neurosim.params import build_params, field_names
from neurosim.plasticity import find_rule
from neurosim.registry import LEARNERS, TASKS, Registry
from neurosim.tasks import Task, make_task

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

SPEC_KEYS = ("name", "description", "seeds", "tasks", "task", "learner", "grid", "report")
REPORT_KEYS = ("sections",)
LEARNER_KEYS = ("name", "label", "tasks", "seeds")
# The fields through which a learner takes a plasticity rule (see the module docstring).
RULE_FIELD, RULE_PARAMETERS = "rule", "rule_parameters"
_RULE_KEY = ".rule."  # in a grid key "label.rule.param"
# Names and labels become folder names and table entries: keep them plain.
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
_PLAIN_TEXT = "letters, digits, '_', '.', '+' or '-'"
_RESERVED_NAMES = ("runs",)  # would collide with the store's own folder
_MAX_SEED = 2**32  # numpy's legacy seed range


def canonical_json(value: Any) -> str:
    """The one JSON text of a value: what run ids hash."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclasses.dataclass(frozen=True)
class Run:
    """One (task, learner, params, budget, seed): the unit that is executed and stored."""

    experiment: str
    label: str
    task: str
    task_params: dict[str, Any]
    learner: str
    params: dict[str, Any]
    budget: dict[str, Any]
    seed: int
    grid: dict[str, Any] = dataclasses.field(default_factory=dict)  # this run's grid point
    family: str = ""  # the task's family ("classification", "control"): which sections apply
    # a hash of files the params name (a plasticity rule): editing such a file gives new run ids
    content: str | None = None

    IDENTITY: ClassVar[tuple[str, ...]] = (
        "task",
        "task_params",
        "learner",
        "params",
        "budget",
        "seed",
    )

    def identity(self) -> dict[str, Any]:
        """The fields that determine the result, and so the run id."""
        identity = {key: getattr(self, key) for key in self.IDENTITY}
        if self.content is not None:  # absent otherwise: ids of other runs stay as they were
            identity["content"] = self.content
            rule = self.params.get(RULE_FIELD)
            if isinstance(rule, str) and rule.endswith(".toml"):
                # the content says what the rule is; the folder it lies in changes nothing
                identity["params"] = {**self.params, RULE_FIELD: Path(rule).name}
        return identity

    def config(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def title(self) -> str:
        """How messages name the run, e.g. "digits / mlp-adam [lr=0.003] seed 1"."""
        grid = f" [{grid_text(self.grid)}]" if self.grid else ""
        return f"{self.task} / {self.label}{grid} seed {self.seed}"

    @property
    def run_id(self) -> str:
        return hashlib.sha256(canonical_json(self.identity()).encode()).hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    name: str
    params: dict[str, Any]  # resolved, defaults included
    task_type: type[Task]
    grid: dict[str, Any] = dataclasses.field(default_factory=dict)  # its point of a task sweep


@dataclasses.dataclass(frozen=True)
class Variant:
    """One learner configuration: a `[[learner]]` table at one grid point."""

    label: str
    learner: str
    params: dict[str, Any]  # the full resolved Params dataclass as a dict
    budget: dict[str, Any]
    grid: dict[str, Any]
    content: str | None = None
    tasks: tuple[str, ...] | None = None  # None: every task of the spec
    seeds: tuple[int, ...] | None = None  # None: the spec's seeds

    def runs_on(self, task: str) -> bool:
        return self.tasks is None or task in self.tasks


@dataclasses.dataclass(frozen=True)
class Experiment:
    name: str
    description: str
    path: Path
    seeds: tuple[int, ...]
    tasks: tuple[TaskSpec, ...]
    variants: tuple[Variant, ...]
    report_sections: tuple[str, ...] | None = None  # None: every section that applies

    def runs(self) -> list[Run]:
        """Every run, ordered task, learner variant, seed."""
        return [
            Run(
                experiment=self.name,
                label=variant.label,
                task=task.name,
                task_params=task.params,
                learner=variant.learner,
                params=variant.params,
                budget=variant.budget,
                seed=seed,
                grid={**task.grid, **variant.grid},
                content=variant.content,
                family=task.task_type.family,
            )
            for task in self.tasks
            for variant in self.variants
            if variant.runs_on(task.name)
            for seed in variant.seeds or self.seeds
        ]


def load_spec(path: str | Path) -> Experiment:
    """Read, validate and resolve a spec file; any problem raises one SpecError sentence."""
    path = Path(path)
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("no such spec file", source=where) from None
    except IsADirectoryError:
        raise SpecError("is a directory, not a spec file", source=where) from None
    except UnicodeDecodeError:
        raise SpecError("is not UTF-8 text", source=where) from None
    except OSError as exc:
        raise SpecError(f"cannot be read ({exc.strerror})", source=where) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"invalid TOML: {exc}", source=where) from None
    return _SpecParser(where, path.parent).parse(data, path)


def _hint(word: str, options: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


@dataclasses.dataclass
class _LearnerTable:
    name: str
    label: str
    cls: type
    params: dict[str, Any]  # as written, not resolved
    budget: dict[str, Any]
    tasks: tuple[str, ...] | None = None
    seeds: tuple[int, ...] | None = None

    @property
    def fields(self) -> list[str]:
        """Params fields and the budget fields the learner honours."""
        return field_names(self.cls.Params) + sorted(self.cls.budget_fields)

    def unknown_field(self, key: str) -> str:
        """Why `key` is not a field of this learner, in words."""
        if key in Budget.BUDGET_FIELDS:
            honoured = ", ".join(sorted(self.cls.budget_fields)) or "none"
            named = f"'{self.label}'" + ("" if self.label == self.name else f" ({self.name})")
            return (
                f"learner {named} does not honour the budget field '{key}' "
                f"(budget fields it honours: {honoured})"
            )
        return (
            f"learner '{self.label}': unknown field '{key}'{_hint(key, self.fields)}; "
            f"known fields: {', '.join(sorted(self.fields))}"
        )


def _disjoint(a: tuple[str, ...] | None, b: tuple[str, ...] | None) -> bool:
    """Whether two learner tables' task lists share no task (None: every task)."""
    return a is not None and b is not None and not set(a) & set(b)


class _SpecParser:
    """Turns parsed TOML into an Experiment, naming the file in every error."""

    def __init__(self, where: str, folder: Path):
        self.where = where
        self.folder = folder  # rule paths in the spec are relative to it
        self.task_tables: dict[str, dict[str, Any]] = {}  # task parameters as written

    def error(self, message: str) -> SpecError:
        return SpecError(message, source=self.where)

    def parse(self, data: dict[str, Any], path: Path) -> Experiment:
        for key in data:
            if key not in SPEC_KEYS:
                raise self.error(
                    f"unknown top-level key '{key}'{_hint(key, SPEC_KEYS)}; "
                    f"known keys: {', '.join(SPEC_KEYS)}"
                )
        name = self.name(data.get("name"))
        description = self.description(data.get("description", ""))
        seeds = self.seeds(data.get("seeds"))
        tasks = self.tasks(data)
        learners = self.learners(data.get("learner"))
        grid, task_grid = self.grid(data.get("grid", {}), learners, tasks)
        variants = [
            v for table in learners for v in self.variants(table, grid.get(table.label, {}))
        ]
        self.check_task_families(tasks, learners)
        tasks = tuple(point for task in tasks for point in self.task_points(task, task_grid))
        sections = self.report_sections(data.get("report", {}))
        return Experiment(name, description, path, seeds, tasks, tuple(variants), sections)

    def name(self, name: Any) -> str:
        if name is None:
            raise self.error("missing 'name': name the experiment, e.g. name = \"quickstart\"")
        if not isinstance(name, str) or not _PLAIN.match(name):
            raise self.error(
                f"'name' must be a string of {_PLAIN_TEXT} (it names the results folder), "
                f"got {name!r}"
            )
        if name in _RESERVED_NAMES:
            raise self.error(f"'name' may not be '{name}', which the results store uses itself")
        return name

    def description(self, description: Any) -> str:
        if not isinstance(description, str):
            raise self.error(f"'description' must be a string, got {description!r}")
        return description

    def seeds(self, seeds: Any, owner: str = "") -> tuple[int, ...]:
        """The spec's seeds, or a learner table's own (`owner` names it in errors): a
        deterministic learner (an n-gram) needs one seed, not every seed of the spec."""
        if seeds is None:
            raise self.error(
                "missing 'seeds': give a list of integer seeds, e.g. seeds = [0, 1, 2]"
            )
        if (
            not isinstance(seeds, list)
            or not seeds
            or any(isinstance(s, bool) or not isinstance(s, int) for s in seeds)
        ):
            raise self.error(f"{owner}'seeds' must be a non-empty list of integers, got {seeds!r}")
        for seed in seeds:
            if not 0 <= seed < _MAX_SEED:
                raise self.error(f"{owner}'seeds' must lie in [0, 2**32), got {seed}")
        if len(set(seeds)) < len(seeds):
            raise self.error(f"{owner}'seeds' lists a seed twice: {seeds!r}")
        return tuple(seeds)

    def lookup(self, registry: Registry, name: str, context: str) -> Any:
        """A registry entry; its error text, or a missing package, becomes a SpecError."""
        try:
            return registry.get(name)
        except UserError as exc:
            raise self.error(f"{context}: {exc}") from None
        except ModuleNotFoundError as exc:
            raise self.error(
                f"{context}: {registry.kind} '{name}' is not available here ({exc})"
            ) from None

    def tasks(self, data: dict[str, Any]) -> tuple[TaskSpec, ...]:
        if "tasks" in data and "task" in data:
            raise self.error("give tasks either as 'tasks = [...]' or as [[task]] tables, not both")
        key = "tasks" if "tasks" in data else "task"
        entries = data.get(key)
        if entries is None:
            raise self.error("missing 'tasks': name at least one task, e.g. tasks = [\"digits\"]")
        if not isinstance(entries, list) or not entries:
            raise self.error(
                f"'{key}' must be a non-empty list of task names or [[task]] tables, "
                f"got {entries!r}"
            )
        specs: list[TaskSpec] = []
        for number, entry in enumerate(entries, 1):
            if isinstance(entry, str):
                name, params = entry, {}
            elif isinstance(entry, dict):
                params = dict(entry)
                name = params.pop("name", None)
                if not isinstance(name, str):
                    raise self.error(f"{key} #{number}: missing 'name' (a registered task)")
            else:
                raise self.error(
                    f"{key} #{number} must be a task name or a table with 'name', got {entry!r}"
                )
            if any(spec.name == name for spec in specs):
                raise self.error(f"{key}: task '{name}' is listed twice")
            self.lookup(TASKS, name, key)
            self.task_tables[name] = params
            specs.append(self.resolve_task(name, params))
        return tuple(specs)

    def resolve_task(
        self, name: str, params: dict[str, Any], owner: str = "", grid: dict[str, Any] | None = None
    ) -> TaskSpec:
        """Build the task once (seed 0): validates its params and fills in their defaults."""
        try:
            task = make_task(name, 0, **params)
        except UserError as exc:
            raise self.error(f"{owner}: {exc}" if owner else str(exc)) from None
        return TaskSpec(name, {**params, **task.params}, type(task), dict(grid or {}))

    def task_points(
        self, task: TaskSpec, task_grid: dict[str, dict[str, list[Any]]]
    ) -> list[TaskSpec]:
        """The task at each point of its sweep (itself when it has none), each one resolved."""
        sweep = task_grid.get(task.name)
        if not sweep:
            return [task]
        points = []
        for values in itertools.product(*sweep.values()):
            point = dict(zip(sweep, values, strict=True))
            owner = f"task '{task.name}' at grid point {grid_text(point)}"
            params = {**self.task_tables[task.name], **point}
            points.append(self.resolve_task(task.name, params, owner, point))
        return points

    def learners(self, entries: Any) -> list[_LearnerTable]:
        if entries is None:
            raise self.error("missing [[learner]] tables: name at least one learner")
        if not isinstance(entries, list) or not entries:
            raise self.error("'learner' must be an array of tables, written [[learner]]")
        tables: list[_LearnerTable] = []
        for number, entry in enumerate(entries, 1):
            if not isinstance(entry, dict):
                raise self.error(f"learner #{number} must be a table, written [[learner]]")
            table = self.learner(number, entry)
            for other in tables:
                if other.label == table.label and not _disjoint(other.tasks, table.tasks):
                    raise self.error(
                        f"learner label '{table.label}' is used twice; give each [[learner]] a "
                        "unique 'label', or give tables that share one disjoint 'tasks' lists"
                    )
            tables.append(table)
        return tables

    def learner(self, number: int, entry: dict[str, Any]) -> _LearnerTable:
        name = entry.get("name")
        if not isinstance(name, str):
            raise self.error(f"learner #{number}: missing 'name' (a registered learner)")
        label = entry.get("label", name)
        if not isinstance(label, str) or not _PLAIN.match(label):
            raise self.error(
                f"learner '{name}': 'label' must be a string of {_PLAIN_TEXT}, got {label!r}"
            )
        cls = self.lookup(LEARNERS, name, f"learner #{number}")
        seeds = self.seeds(entry["seeds"], f"learner '{label}': ") if "seeds" in entry else None
        table = _LearnerTable(name, label, cls, {}, {}, self.learner_tasks(label, entry), seeds)
        for key, value in entry.items():
            if key in LEARNER_KEYS:
                continue
            if key not in table.fields:
                raise self.error(
                    table.unknown_field(key) + self.rule_hint(table, key, f"{RULE_PARAMETERS}=")
                )
            if key == RULE_FIELD:
                value = self.rule_path(value)
            (table.budget if key in Budget.BUDGET_FIELDS else table.params)[key] = value
        # The table must be valid on its own (defaults for swept fields): errors name it, not a
        # grid point.
        self.budget(table.budget, f"learner '{label}'")
        self.params(cls, table.params, f"learner '{label}'")
        return table

    def learner_tasks(self, label: str, entry: dict[str, Any]) -> tuple[str, ...] | None:
        """The optional `tasks = [...]` of a learner table: it runs on these tasks only."""
        if "tasks" not in entry:
            return None
        tasks = entry["tasks"]
        if not isinstance(tasks, list) or not tasks or not all(isinstance(t, str) for t in tasks):
            raise self.error(
                f"learner '{label}': 'tasks' must be a non-empty list of task names, got {tasks!r}"
            )
        return tuple(tasks)

    def check_task_families(
        self, tasks: tuple[TaskSpec, ...], learners: list[_LearnerTable]
    ) -> None:
        """Every learner must run on at least one task, and only on tasks of its family."""
        by_name = {task.name: task for task in tasks}
        for table in learners:
            for name in table.tasks or ():
                if name not in by_name:
                    raise self.error(
                        f"learner '{table.label}': field 'tasks' names '{name}', which is not "
                        f"among the spec's tasks ({', '.join(by_name)})"
                    )
            family = table.cls.task_family
            for name in table.tasks or tuple(by_name):
                task_type = by_name[name].task_type
                if not issubclass(task_type, family):
                    raise self.error(
                        f"learner '{table.label}' learns {family.family} tasks but task '{name}' "
                        f"is a {task_type.family} task; give the learner 'tasks = [...]' to "
                        "choose its tasks"
                    )

    def grid(
        self, grid: Any, learners: list[_LearnerTable], tasks: tuple[TaskSpec, ...]
    ) -> tuple[dict[str, dict[str, list[Any]]], dict[str, dict[str, list[Any]]]]:
        """Learner sweeps (label -> field -> resolved values) and task sweeps (task -> field ->
        values), each value checked on its own. A key's prefix names a learner label or a task."""
        if not isinstance(grid, dict):
            raise self.error('[grid] must be a table of "label.field" = [values]')
        by_label = {table.label: table for table in learners}
        task_names = [task.name for task in tasks]
        sweeps: dict[str, dict[str, list[Any]]] = {}
        task_sweeps: dict[str, dict[str, list[Any]]] = {}
        for key, values in grid.items():
            label, dot, field = key.rpartition(".")
            if not dot or not label or not field:
                raise self.error(f"grid key '{key}' must look like \"label.field\"")
            owner, _, parameter = key.rpartition(_RULE_KEY)
            if label not in by_label and owner in by_label and parameter:
                if sum(table.label == owner for table in learners) > 1:
                    raise self.error(
                        f"grid key '{key}': label '{owner}' names several [[learner]] tables; "
                        "sweep a rule parameter of one of them under a label of its own"
                    )
                table = by_label[owner]
                sweeps.setdefault(owner, {})[f"{RULE_FIELD}.{parameter}"] = self.rule_grid_values(
                    key, table, parameter, values, grid
                )
                continue
            if label in by_label and label in task_names:
                raise self.error(
                    f"grid key '{key}': '{label}' is both a learner label and a task; give the "
                    "learner another 'label'"
                )
            if label in task_names:
                task_sweeps.setdefault(label, {})[field] = self.task_grid_values(
                    key, label, field, values
                )
                continue
            if label not in by_label:
                raise self.error(
                    f"grid key '{key}': no learner labelled '{label}' and no task '{label}'"
                    f"{_hint(label, [*by_label, *task_names])}; labels: {', '.join(by_label)}; "
                    f"tasks: {', '.join(task_names)}"
                )
            if sum(table.label == label for table in learners) > 1:
                raise self.error(
                    f"grid key '{key}': label '{label}' names several [[learner]] tables (one per "
                    "task); sweep a field of one of them under a label of its own"
                )
            table = by_label[label]
            if field not in table.fields:
                raise self.error(
                    f"grid key '{key}': {table.unknown_field(field)}"
                    + self.rule_hint(table, field, f'"{label}.rule.')
                )
            if field in table.params or field in table.budget:
                raise self.error(
                    f"grid key '{key}': '{field}' is also set in learner '{label}'; "
                    "set it in one place"
                )
            if not isinstance(values, list) or not values:
                raise self.error(
                    f"grid key '{key}' must be a non-empty list of values, got {values!r}"
                )
            if field == RULE_FIELD:
                values = [self.rule_path(value) for value in values]
            resolved = [self.grid_value(table, key, field, value) for value in values]
            if len({canonical_json(v) for v in resolved}) < len(resolved):
                raise self.error(f"grid key '{key}' lists a value twice: {values!r}")
            sweeps.setdefault(label, {})[field] = resolved
        return sweeps, task_sweeps

    def rule_grid_values(
        self, key: str, table: _LearnerTable, parameter: str, values: Any, grid: dict[str, Any]
    ) -> list[str]:
        """A rule parameter sweep's values, each checked with the table's rule and resolved to
        the text the rule holds ("0.4", "20 ms")."""
        label = table.label
        if RULE_PARAMETERS not in field_names(table.cls.Params):
            raise self.error(f"grid key '{key}': learner '{label}' takes no plasticity rule")
        for other in (RULE_FIELD, RULE_PARAMETERS):
            if f"{label}.{other}" in grid:
                raise self.error(
                    f"grid key '{key}': '{label}.{other}' is swept too; sweep the parameters of "
                    f'one rule per [[learner]] table, each with "{label}.rule.NAME" keys'
                )
        if parameter in table.params.get(RULE_PARAMETERS, {}):
            raise self.error(
                f"grid key '{key}': '{parameter}' is also set in the rule_parameters of learner "
                f"'{label}'; set it in one place"
            )
        if not isinstance(values, list) or not values:
            raise self.error(f"grid key '{key}' must be a non-empty list of values, got {values!r}")
        written = table.params.get(RULE_PARAMETERS, {})
        resolved = [
            self.params(
                table.cls,
                {**table.params, RULE_PARAMETERS: {**written, parameter: value}},
                f"grid key '{key}'",
            ).rule_parameters[parameter]
            for value in values
        ]
        if len(set(resolved)) < len(resolved):
            raise self.error(f"grid key '{key}' lists a value twice: {values!r}")
        return resolved

    def rule_path(self, value: Any) -> Any:
        """A rule given as a relative .toml path, made absolute against the spec's folder (so the
        spec runs from any working directory, and engine workers find the file too)."""
        if isinstance(value, str) and value.endswith(".toml") and not Path(value).is_absolute():
            return str((self.folder / value).resolve())
        return value

    def rule_hint(self, table: _LearnerTable, field: str, form: str) -> str:
        """When `field` is a parameter of the table's rule: how to set or sweep it instead."""
        defaults = {f.name: f.default for f in dataclasses.fields(table.cls.Params)}
        name = table.params.get(RULE_FIELD, defaults.get(RULE_FIELD))
        if RULE_PARAMETERS not in defaults or not isinstance(name, str):
            return ""
        try:
            rule = find_rule(name)
        except UserError:
            return ""  # the rule's own error is raised when the table is checked
        if field not in rule.parameters:
            return ""
        how = (
            f"set it as {form}{{{field} = ...}}"
            if form.endswith("=")
            else f'sweep it as {form}{field}"'
        )
        return f"; '{field}' is a parameter of rule '{rule.name}': {how}"

    def task_grid_values(self, key: str, task: str, field: str, values: Any) -> list[Any]:
        """A task sweep's values, each checked by building the task with it."""
        if field in self.task_tables[task]:
            raise self.error(
                f"grid key '{key}': '{field}' is also set in task '{task}'; set it in one place"
            )
        if not isinstance(values, list) or not values:
            raise self.error(f"grid key '{key}' must be a non-empty list of values, got {values!r}")
        resolved = [
            self.resolve_task(
                task, {**self.task_tables[task], field: value}, f"grid key '{key}'"
            ).params[field]
            for value in values
        ]
        if len({canonical_json(v) for v in resolved}) < len(resolved):
            raise self.error(f"grid key '{key}' lists a value twice: {values!r}")
        return resolved

    def grid_value(self, table: _LearnerTable, key: str, field: str, value: Any) -> Any:
        owner = f"grid key '{key}'"
        if field in Budget.BUDGET_FIELDS:
            return getattr(self.budget({**table.budget, field: value}, owner), field)
        return getattr(self.params(table.cls, {**table.params, field: value}, owner), field)

    def params(self, cls: type, values: dict[str, Any], owner: str) -> Any:
        try:
            return build_params(cls.Params, values, owner=owner)
        except UserError as exc:
            raise self.error(str(exc)) from None

    def budget(self, values: dict[str, Any], owner: str) -> Budget:
        try:
            budget = build_params(Budget, values, owner=owner)
        except UserError as exc:
            raise self.error(str(exc)) from None
        if budget.epochs is not None and budget.epochs < 0:
            raise self.error(f"{owner}: 'epochs' must be 0 or more, got {budget.epochs}")
        if budget.samples is not None and budget.samples < 1:
            raise self.error(f"{owner}: 'samples' must be at least 1, got {budget.samples}")
        if budget.wall_time_s is not None and budget.wall_time_s <= 0:
            raise self.error(f"{owner}: 'wall_time_s' must be positive, got {budget.wall_time_s}")
        if budget.env_steps is not None and budget.env_steps < 1:
            raise self.error(f"{owner}: 'env_steps' must be at least 1, got {budget.env_steps}")
        return budget

    def variants(self, table: _LearnerTable, sweep: dict[str, list[Any]]) -> list[Variant]:
        """One Variant per grid point (just one without a grid), fully resolved and validated."""
        variants = []
        for values in itertools.product(*sweep.values()):
            point = dict(zip(sweep, values, strict=True))
            budget_point = {k: v for k, v in point.items() if k in Budget.BUDGET_FIELDS}
            grid: dict[str, Any] = {}  # the rule's swept parameters as one table, in key order
            for key, value in point.items():
                rule_key, dot, parameter = key.partition(".")
                if dot and rule_key == RULE_FIELD:
                    grid.setdefault(RULE_PARAMETERS, {})[parameter] = value
                else:
                    grid[key] = value
            owner = f"learner '{table.label}'" + (
                f" at grid point {grid_text(grid)}" if grid else ""
            )
            budget = self.budget({**table.budget, **budget_point}, owner)
            params = {**table.params, **{k: v for k, v in grid.items() if k not in budget_point}}
            if RULE_PARAMETERS in grid:  # on top of those the table sets
                params[RULE_PARAMETERS] = {
                    **table.params.get(RULE_PARAMETERS, {}),
                    **grid[RULE_PARAMETERS],
                }
            resolved = self.params(table.cls, params, owner)
            fingerprint = getattr(resolved, "content_fingerprint", None)
            variants.append(
                Variant(
                    label=table.label,
                    learner=table.name,
                    params=dataclasses.asdict(resolved),
                    content=fingerprint() if fingerprint else None,
                    budget=resolved_budget(table.cls, budget),
                    grid=grid,
                    tasks=table.tasks,
                    seeds=table.seeds,
                )
            )
        return variants

    def report_sections(self, report: Any) -> tuple[str, ...] | None:
        """The optional `[report] sections = [...]`: which report sections to write, in order."""
        if not isinstance(report, dict):
            raise self.error('[report] must be a table, e.g. [report] sections = ["results"]')
        for key in report:
            if key not in REPORT_KEYS:
                raise self.error(
                    f"[report]: unknown key '{key}'{_hint(key, REPORT_KEYS)}; "
                    f"known keys: {', '.join(REPORT_KEYS)}"
                )
        if "sections" not in report:
            return None
        sections = report["sections"]
        if not isinstance(sections, list) or not all(isinstance(n, str) for n in sections):
            raise self.error(f"[report] sections must be a list of section names, got {sections!r}")
        from neurosim.report.section import all_sections  # imports matplotlib: only when used

        known = sorted(all_sections())
        for name in sections:
            if name not in known:
                raise self.error(
                    f"[report] sections: unknown report section '{name}'{_hint(name, known)}; "
                    f"known: {', '.join(known)}"
                )
        return tuple(sections)


def resolved_budget(cls: type, budget: Budget) -> dict[str, Any]:
    """The budget fields `cls` honours, epochs resolved to its default: what a run id hashes."""
    values = dataclasses.asdict(budget)
    if "epochs" in cls.budget_fields:
        values["epochs"] = budget.resolve_epochs(cls.default_epochs)
    return {key: values[key] for key in sorted(cls.budget_fields)}

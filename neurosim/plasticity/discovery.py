"""Find rule files by name on a search path, so a new rule is one file dropped in a folder.

The search path, first match wins:

1. folders given with `--models DIR` (the CLI also prepends them to `NEUROSIM_MODELS_PATH`, so
   engine workers, which are spawned processes that inherit the environment, see them too);
2. `NEUROSIM_MODELS_PATH`, folders separated by `os.pathsep`;
3. the entry-point group `neurosim.plasticity`: each entry point loads to a folder (a `str` or
   `Path`) or to a module whose directory holds the `*.toml` files, e.g. in a plugin's
   pyproject.toml `[project.entry-points."neurosim.plasticity"] mylab = "mylab.rules"`;
4. the built-in rules: `models/plasticity/` of the source tree, shipped inside the package as
   `neurosim/models/plasticity/` by setup.cfg for non-editable installs.

A rule's name is its file's stem; a file later on the path with the same name is shadowed. A
`.toml` file with neither `kind` nor `model` (an experiment spec kept beside the rules) is not a
rule: it is skipped, named by `rules list`, and never offered as a rule name.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib.resources
import os
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from neurosim.errors import RuleError
from neurosim.plasticity.loader import load_rule
from neurosim.plasticity.rule import PlasticityRule

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ENV_VAR = "NEUROSIM_MODELS_PATH"
ENTRY_POINT_GROUP = "neurosim.plasticity"
SOURCE_DIR = Path(__file__).resolve().parents[2] / "models" / "plasticity"


def _builtin_dir() -> Path:
    """The installed copy (wheel) if there is one, else the source tree (editable, checkout)."""
    installed = importlib.resources.files("neurosim").joinpath("models", "plasticity")
    return Path(str(installed)) if installed.is_dir() else SOURCE_DIR


BUILTIN_DIR = _builtin_dir()


@dataclasses.dataclass(frozen=True)
class RuleFolder:
    path: Path
    origin: str  # "--models", "NEUROSIM_MODELS_PATH", "entry point NAME" or "built-in"


@dataclasses.dataclass(frozen=True)
class RuleFile:
    name: str  # the file stem: what specs and `rules check` call it
    path: Path
    origin: str
    shadowed_by: Path | None = None  # an earlier file on the path with the same name


def search_path(extra: list[Path] | None = None) -> list[RuleFolder]:
    """Rule folders in priority order; a folder met twice keeps its first place."""
    env = [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p]
    folders = [
        *(RuleFolder(Path(p), "--models") for p in extra or []),
        *(RuleFolder(p, ENV_VAR) for p in env),
        *_entry_point_folders(),
        RuleFolder(BUILTIN_DIR, "built-in"),
    ]
    seen: set[Path] = set()
    unique = []
    for folder in folders:
        key = folder.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(folder)
    return unique


def _entry_point_folders() -> list[RuleFolder]:
    folders = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        where = f"entry point '{entry.name} = {entry.value}' (group {ENTRY_POINT_GROUP})"
        try:
            target = entry.load()
        except Exception as exc:  # a broken plugin is a user's installation problem, say which
            raise RuleError(f"{where} cannot be loaded: {exc}") from None
        if isinstance(target, ModuleType):
            paths = [Path(p) for p in getattr(target, "__path__", [])] or [
                Path(str(target.__file__)).parent
            ]
        elif isinstance(target, (str, os.PathLike)):
            paths = [Path(target)]
        else:
            raise RuleError(f"{where} must load to a folder path or a module, not {target!r}")
        folders += [RuleFolder(path, f"entry point {entry.name}") for path in paths]
    return folders


def discover(extra: list[Path] | None = None) -> list[RuleFile]:
    """Every rule file on the search path, in priority order, shadowed duplicates marked."""
    winners: dict[str, Path] = {}
    found = []
    for folder in search_path(extra):
        for path in _toml_files(folder):
            if not is_rule_file(path):
                continue
            winner = winners.setdefault(path.stem, path)
            shadowed_by = None if winner == path else winner
            found.append(RuleFile(path.stem, path, folder.origin, shadowed_by))
    return found


def skipped_files(extra: list[Path] | None = None) -> list[Path]:
    """The `.toml` files on the search path that are not rule files (see `is_rule_file`)."""
    return [
        path
        for folder in search_path(extra)
        for path in _toml_files(folder)
        if not is_rule_file(path)
    ]


def _toml_files(folder: RuleFolder) -> list[Path]:
    return sorted(folder.path.glob("*.toml")) if folder.path.is_dir() else []


def is_rule_file(path: Path) -> bool:
    """False for a TOML file with neither `kind` nor `model`, e.g. a spec kept beside the rules;
    a file that cannot be read or parsed counts as a (broken) rule, so its author sees why."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True
    return "kind" in data or "model" in data


def _rule_files(extra: list[Path] | None) -> dict[str, Path]:
    return {f.name: f.path for f in discover(extra) if f.shadowed_by is None}


class _RuleCatalog:
    """Rules by name (the file stem), for `neurosim list` and spec validation."""

    def names(self, extra: list[Path] | None = None) -> list[str]:
        return sorted(_rule_files(extra))

    def get(self, name: str, extra: list[Path] | None = None) -> PlasticityRule:
        return find_rule(name, extra)


RULES = _RuleCatalog()


def find_rule(name_or_path: str, extra: list[Path] | None = None) -> PlasticityRule:
    """A rule by name on the search path, or by path to a .toml file."""
    if name_or_path.endswith(".toml"):
        return load_rule(Path(name_or_path))
    files = _rule_files(extra)
    if name_or_path not in files:
        close = difflib.get_close_matches(name_or_path, files, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        looked = ", ".join(f"{f.path} ({f.origin})" for f in search_path(extra))
        raise RuleError(
            f"unknown plasticity rule '{name_or_path}'{hint}; looked in {looked}, which hold: "
            f"{', '.join(sorted(files))}; add your rules' folder with `--models DIR` or "
            f"{ENV_VAR}, or give the path to the .toml file"
        )
    return load_rule(files[name_or_path])

"""Typed artifacts: what a run recorded, written by the learner's Recorder and found by kind.

Report sections and analyses ask for "the activity on the probe set" or "the receptive fields",
never for a file name, so a new learner's recordings show up in every section that can draw them.
Each write adds an entry to `manifest.json` beside the files: kind, name, file and metadata.

Runs stored before the manifest existed are read through the file names they used then
(`LEGACY_KINDS`), in this one place.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from neurosim.activity import Activity

MANIFEST = "manifest.json"
KINDS = ("activity", "receptive_fields", "weight_snapshots", "predictions", "arrays", "json")
# file name (stem) -> kind, for runs stored before typed artifacts
LEGACY_KINDS = {
    "receptive_fields": "receptive_fields",
    "predictions": "predictions",
    "weights": "weight_snapshots",
}


@dataclasses.dataclass(frozen=True)
class ArtifactEntry:
    """One recorded artifact: its kind, a name unique within the kind, its file and metadata."""

    kind: str
    name: str
    file: str
    meta: dict[str, Any]
    path: Path


class Recorder:
    """Where a learner puts what it recorded, typed, inside the run's artifacts folder.

    With `directory=None` everything is discarded (tests, benchmarks): learners check `enabled`
    before computing something only worth recording.
    """

    def __init__(self, directory: Path | None = None):
        self.directory = directory
        self._entries: list[dict[str, Any]] = []
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def activity(self, activity: Activity, *, probe: str, name: str = "activity") -> None:
        """What units did on a named stimulus set (a task's probe set, or an episode)."""
        self._write("activity", name, f"activity_{name}.npz", {"probe": probe}, activity.save)

    def receptive_fields(
        self,
        weights: np.ndarray,
        *,
        signed: bool,
        image_shape: tuple[int, ...] | None = None,
        assignments: np.ndarray | None = None,
        name: str = "receptive_fields",
        **extra: np.ndarray,
    ) -> None:
        """Input weights, one row per unit; `signed` weights are drawn centred on zero."""
        arrays = {"weights": np.asarray(weights), **extra}
        if image_shape is not None:
            arrays["image_shape"] = np.array(image_shape)
        if assignments is not None:
            arrays["assignments"] = np.asarray(assignments)
        self._npz("receptive_fields", name, {"signed": signed}, arrays)

    def weight_snapshots(self, name: str, **arrays: np.ndarray) -> None:
        """Weights at several moments of training (e.g. `episodes` plus one array per matrix)."""
        self._npz("weight_snapshots", name, {}, arrays)

    def predictions(
        self, split: str, y_true: np.ndarray, y_pred: np.ndarray, **sample_info: np.ndarray
    ) -> None:
        """Labels and predictions, with any per-sample facts (e.g. each image's rotation)."""
        arrays = {"y_true": np.asarray(y_true), "y_pred": np.asarray(y_pred)}
        arrays.update({key: np.asarray(value) for key, value in sample_info.items()})
        self._npz("predictions", f"predictions_{split}", {"split": split}, arrays)

    def arrays(self, name: str, **arrays: np.ndarray) -> None:
        """Arrays no other kind describes (a learner's own diagnostics)."""
        self._npz("arrays", name, {}, arrays)

    def json(self, name: str, data: Any) -> None:
        self._write(
            "json",
            name,
            f"{name}.json",
            {},
            lambda path: path.write_text(json.dumps(data, indent=2)),
        )

    def _npz(self, kind: str, name: str, meta: dict[str, Any], arrays: dict[str, Any]) -> None:
        self._write(kind, name, f"{name}.npz", meta, lambda p: np.savez_compressed(p, **arrays))

    def _write(self, kind: str, name: str, file: str, meta: dict[str, Any], save: Any) -> None:
        if self.directory is None:
            return
        if any(e["kind"] == kind and e["name"] == name for e in self._entries):
            raise ValueError(f"artifact {kind} '{name}' recorded twice")
        save(self.directory / file)
        self._entries.append({"kind": kind, "name": name, "file": file, "meta": meta})
        (self.directory / MANIFEST).write_text(json.dumps({"artifacts": self._entries}, indent=2))


class Artifacts:
    """The artifacts of one stored run, found by kind."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def entries(
        self, kind: str | None = None, name: str | None = None, **meta: Any
    ) -> list[ArtifactEntry]:
        """The entries of `kind` (and `name`) whose metadata has the given values, in the order
        they were recorded; all entries without arguments."""
        manifest = self.directory / MANIFEST
        if manifest.exists():
            raw = json.loads(manifest.read_text())["artifacts"]
        else:
            raw = self._legacy_entries()
        entries = [
            ArtifactEntry(e["kind"], e["name"], e["file"], e["meta"], self.directory / e["file"])
            for e in raw
        ]
        return [
            e
            for e in entries
            if (kind is None or e.kind == kind)
            and (name is None or e.name == name)
            and all(e.meta.get(key) == value for key, value in meta.items())
        ]

    @staticmethod
    def load(entry: ArtifactEntry) -> Any:
        """An Activity, a dict of arrays (npz) or a JSON value, by the entry's kind and file."""
        if entry.kind == "activity":
            return Activity.load(entry.path)
        if entry.file.endswith(".json"):
            return json.loads(entry.path.read_text())
        with np.load(entry.path) as data:
            return {key: data[key] for key in data.files}

    def _legacy_entries(self) -> list[dict[str, Any]]:
        """Entries of a run stored before manifests, inferred from its file names."""
        if not self.directory.is_dir():
            return []
        entries = []
        for path in sorted(self.directory.iterdir()):
            stem, suffix = path.stem, path.suffix
            if stem.startswith("activity_") and suffix == ".npz":
                name = stem.removeprefix("activity_")
                entries.append({"kind": "activity", "name": name, "meta": {"probe": name}})
            elif stem in LEGACY_KINDS and suffix == ".npz":
                meta = {"split": "test"} if stem == "predictions" else {}
                entries.append({"kind": LEGACY_KINDS[stem], "name": stem, "meta": meta})
            elif suffix in (".npz", ".json"):
                kind = "json" if suffix == ".json" else "arrays"
                entries.append({"kind": kind, "name": stem, "meta": {}})
            else:
                continue
            entries[-1]["file"] = path.name
        return entries

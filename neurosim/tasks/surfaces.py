"""The 2-D test functions of the optimization lab, as tasks.

Each function is written once, `f(x, y, xp)` with `xp` the array module (numpy here and in the
report, torch in the learner), and comes with what is known about it: its minima, its saddle,
a standard start point and plot ranges. The start point is a task parameter (`x0`, `y0`), so a
spec can start descent on a saddle's stable manifold or in another basin.

- `rosenbrock`: (1 - x)² + 100 (y - x²)², minimum (1, 1); the curved flat valley from the
  classic start (-1.2, 1) (Rosenbrock 1960).
- `beale`: minimum (3, 0.5); steep walls, flat plateaus (Beale 1958); start (1, 1.5).
- `saddle`: x² - y², a saddle at the origin, unbounded below. Started at y0 = 0 (the default)
  the point lies on the stable manifold: exact gradient descent converges to the saddle, and
  only noise (or y0 != 0) makes it leave.
- `monkey-saddle`: x³ - 3xy², a degenerate saddle (zero Hessian at the origin), unbounded below.
  From (1, 0) gradient descent creeps toward the origin as x_t ≈ 1 / (3 lr t).
- `rastrigin`: 20 + Σ (xᵢ² - 10 cos 2πxᵢ), a local minimum near every integer point, the global
  one at the origin (Rastrigin 1974); start (2.2, -1.6), in the basin of (2, -2).
- `valley`: a quadratic ½(u² + κ v²) in coordinates (u, v) rotated by `angle_deg` (45°) from
  (x, y), condition number κ = `condition` (100). Rotated by 45° its Hessian has equal diagonal
  entries, so the per-coordinate step sizes of AdaGrad, RMSprop and Adam cannot precondition it
  (in the unrotated quadratic they would, trivially); plain gradient descent needs ~κ steps.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from neurosim.errors import ParameterError
from neurosim.families.optimization import Point, SurfaceFunction, SurfaceTask
from neurosim.params import build_params, check_fields
from neurosim.registry import TASKS

XP = Any  # the array module: numpy or torch


def rosenbrock(x: Any, y: Any, xp: XP) -> Any:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def beale(x: Any, y: Any, xp: XP) -> Any:
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def saddle(x: Any, y: Any, xp: XP) -> Any:
    return x**2 - y**2


def monkey_saddle(x: Any, y: Any, xp: XP) -> Any:
    return x**3 - 3 * x * y**2


def rastrigin(x: Any, y: Any, xp: XP) -> Any:
    return 20 + x**2 - 10 * xp.cos(2 * math.pi * x) + y**2 - 10 * xp.cos(2 * math.pi * y)


def valley(condition: float, angle_deg: float) -> SurfaceFunction:
    """½(u² + κ v²), (u, v) = (x, y) rotated by -angle: the long axis u points along angle."""
    cos, sin = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))

    def f(x: Any, y: Any, xp: XP) -> Any:
        u, v = cos * x + sin * y, -sin * x + cos * y
        return 0.5 * (u**2 + condition * v**2)

    return f


@dataclasses.dataclass(frozen=True)
class Surface:
    """What is known about one test function; `start` is its default start point."""

    f: SurfaceFunction
    start: Point
    minima: tuple[Point, ...]
    saddle: Point | None
    bounds: tuple[Point, Point]
    log_contours: bool
    reference: str


SURFACES: dict[str, Surface] = {
    "rosenbrock": Surface(
        rosenbrock,
        (-1.2, 1.0),
        ((1.0, 1.0),),
        None,
        ((-2.0, 2.0), (-1.0, 3.0)),
        True,
        "Rosenbrock 1960: minimum f(1, 1) = 0, standard start (-1.2, 1)",
    ),
    "beale": Surface(
        beale,
        (1.0, 1.5),
        ((3.0, 0.5),),
        None,  # it has a saddle at (0, 1), but the start is already far below it
        ((-1.0, 4.5), (-1.5, 2.0)),
        True,
        "Beale 1958: minimum f(3, 0.5) = 0",
    ),
    "saddle": Surface(
        saddle,
        (1.0, 0.0),
        (),
        (0.0, 0.0),
        ((-1.5, 1.5), (-1.5, 1.5)),
        False,
        "x² - y²: a saddle at the origin (Hessian index 1); stable manifold y = 0",
    ),
    "monkey-saddle": Surface(
        monkey_saddle,
        (1.0, 0.0),
        (),
        (0.0, 0.0),
        ((-1.5, 1.5), (-1.5, 1.5)),
        False,
        "x³ - 3xy²: a degenerate saddle at the origin (zero Hessian), three valleys",
    ),
    "rastrigin": Surface(
        rastrigin,
        (2.2, -1.6),
        ((0.0, 0.0),),
        None,
        ((-3.0, 3.0), (-3.0, 3.0)),
        False,
        "Rastrigin 1974: global minimum f(0, 0) = 0, a local minimum near every integer point",
    ),
    "valley": Surface(
        valley(100.0, 45.0),  # the defaults: each task rebuilds it from its own parameters
        (-4.0, 2.0),
        ((0.0, 0.0),),
        None,
        ((-5.0, 5.0), (-5.0, 5.0)),
        True,
        "½(u² + κ v²) rotated: minimum f(0, 0) = 0; gradient descent needs ~κ steps",
    ),
}


VALLEY_FIELDS = ("condition", "angle_deg")


@dataclasses.dataclass
class SurfaceParams:
    """Where descent starts (None: the function's standard start) and when it has arrived.

    `tolerance`: distance to a minimum that counts as reached. `escape_drop`: a saddle counts
    as escaped once f is this far below f(saddle). `bound`: the run stops beyond this distance
    from the origin. `condition` and `angle_deg` shape `valley` only.
    """

    x0: float | None = None
    y0: float | None = None
    tolerance: float = 1e-3
    escape_drop: float = 0.1
    bound: float = 1e3
    condition: float = 100.0
    angle_deg: float = 45.0

    def validate(self, owner: str) -> None:
        def finite(value: float | None) -> bool:
            return value is None or math.isfinite(value)

        check_fields(
            owner,
            self,
            [
                ("x0", finite(self.x0), "must be a finite number"),
                ("y0", finite(self.y0), "must be a finite number"),
                ("angle_deg", finite(self.angle_deg), "must be a finite number"),
                ("tolerance", self.tolerance > 0, "must be > 0"),
                ("escape_drop", self.escape_drop > 0, "must be > 0"),
                ("bound", self.bound > 0, "must be > 0"),
                ("condition", 1 <= self.condition < math.inf, "must be finite and >= 1"),
            ],
        )


def make_surface(name: str, seed: int, params: dict[str, object]) -> SurfaceTask:
    owner = f"task '{name}'"
    p = build_params(SurfaceParams, params, owner=owner)
    known = SURFACES[name]
    if name != "valley":  # specs store every field resolved: only a changed one is an error
        defaults = SurfaceParams()
        for field in VALLEY_FIELDS:
            if getattr(p, field) != getattr(defaults, field):
                raise ParameterError(f"{owner}: field '{field}' only shapes task 'valley'")
    f = valley(p.condition, p.angle_deg) if name == "valley" else known.f
    start = (
        known.start[0] if p.x0 is None else p.x0,
        known.start[1] if p.y0 is None else p.y0,
    )
    if math.hypot(*start) >= p.bound:
        raise ParameterError(f"{owner}: field 'x0' puts the start beyond 'bound' ({p.bound})")
    return SurfaceTask(
        name=name,
        seed=seed,
        f=f,
        start=(float(start[0]), float(start[1])),
        minima=known.minima,
        f_min=0.0 if known.minima else math.nan,
        saddle=known.saddle,
        bounds=known.bounds,
        tolerance=p.tolerance,
        escape_drop=p.escape_drop,
        log_contours=known.log_contours,
        bound=p.bound,
        references={name: known.reference},
        params=dataclasses.asdict(p),
    )


def _register(name: str) -> None:
    @TASKS.register(name)
    def make(seed: int, **params: object) -> SurfaceTask:
        return make_surface(name, seed, params)

    make.__doc__ = SURFACES[name].reference


for _name in SURFACES:
    _register(_name)

"""How fast does the Diehl & Cook circuit learn here? Wall time per training image.

Runs one epoch of plastic presentations over the digits training split (N=100 by default) with
the compiled network, and prints: build time (code generation + compile, cold or cached), binary
wall time per training image, simulated seconds per wall second and synaptic events per second.
Target: <= 15 ms per training image once compiled (the textbook one-run()-per-image loop costs
~690 ms here; a single-run Cython design ~60 ms; see shared notes).

    python benchmarks/stdp_wta_speed.py [--neurons 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from neurosim.plasticity import find_rule
from neurosim.spiking.diehl_cook import CircuitConfig, DiehlCookCircuit
from neurosim.tasks import make_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    train = make_task("digits", 0).split("train")
    rng = np.random.default_rng(0)
    images = train.x[rng.permutation(len(train))]
    config = CircuitConfig(
        n_inputs=images.shape[1],
        n_neurons=args.neurons,
        n_rows=len(images),
        duration_s=round(len(images) * 0.5 * 1.2 + 1.0, 3),
    )
    circuit = DiehlCookCircuit(config, find_rule("stdp-triplet"))
    weights = rng.uniform(0, 0.3, (args.neurons, images.shape[1]))
    print(
        f"stdp-wta speed: N={args.neurons}, {len(images)} training images, dt=0.5 ms, "
        "350 ms presentation + 150 ms rest, plasticity on"
    )
    print(
        f"{'repeat':>6} {'build s':>8} {'binary s':>9} {'ms/image':>9} {'sim s/wall s':>13} "
        f"{'presentations':>14} {'Msyn.events/s':>14}"
    )
    per_image = []
    for repeat in range(args.repeats):
        start = time.perf_counter()
        result = circuit.present(images, weights, n_plastic=len(images), seed=repeat)
        total = time.perf_counter() - start
        simulated = float(result.accepted_times[-1])
        presentations = len(images) + int(np.sum(result.accepted_intensity - 2))
        # every input spike reaches all N excitatory neurons; estimate input spikes from rates
        input_spikes = float(np.sum(images) * 100.0 * 0.35)
        events = input_spikes * args.neurons / result.wall_time_s / 1e6
        ms_per_image = 1000 * result.wall_time_s / len(images)
        per_image.append(ms_per_image)
        print(
            f"{repeat:>6} {result.compile_time_s:>8.1f} {result.wall_time_s:>9.2f} "
            f"{ms_per_image:>9.2f} {simulated / result.wall_time_s:>13.1f} "
            f"{presentations:>14} {events:>14.1f}   (total {total:.1f} s)"
        )
    best = min(per_image)
    print(
        f"best: {best:.2f} ms per training image (target <= 15 ms): "
        f"{'OK' if best <= 15 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()

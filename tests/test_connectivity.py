"""Weight matrices as graphs: thresholds, degrees and modularity against hand-computed cases, and
the connectivity report section on synthetic runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from report_stores import make_run, recorder

from neurosim.analysis.connectivity import before_after, graph_statistics, weight_graph
from neurosim.errors import UserError
from neurosim.report.context import ReportContext
from neurosim.report.document import Figure, Note, Table
from neurosim.report.grouping import group_runs
from neurosim.report.sections.connectivity import connectivity


def blocks(sizes: list[tuple[int, int]], noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """Block-diagonal weights (n_post, n_pre): 1 inside blocks of (post, pre) sizes, plus
    uniform noise below 1 everywhere."""
    n_post, n_pre = (sum(size[k] for size in sizes) for k in (0, 1))
    weights = noise * np.random.default_rng(seed).random((n_post, n_pre))
    post = pre = 0
    for rows, cols in sizes:
        weights[post : post + rows, pre : pre + cols] += 1.0
        post, pre = post + rows, pre + cols
    return weights


def test_degrees_of_a_small_signed_matrix_by_hand():
    weights = np.array([[0.9, -0.1, 0.5], [0.0, -0.8, 0.2]])  # 2 units x 3 inputs
    graph = weight_graph(weights, threshold=0.3)
    assert sorted(graph.edges()) == [
        (("pre", 0), ("post", 0)),
        (("pre", 1), ("post", 1)),  # inhibitory, counted by |w|
        (("pre", 2), ("post", 0)),
    ]
    assert graph.edges[("pre", 1), ("post", 1)]["weight"] == 0.8
    stats = graph_statistics(graph)
    assert stats["in_degree_histogram"] == [0, 1, 1]  # unit 0 keeps two inputs, unit 1 one
    assert stats["out_degree_histogram"] == [0, 3]  # every input drives one unit
    assert (stats["mean_in_degree"], stats["mean_out_degree"]) == (1.5, 1.0)
    assert (stats["n_edges"], stats["isolated_pre"], stats["isolated_post"]) == (3, 0, 0)


def test_top_percent_keeps_ties_and_never_a_zero_weight():
    tied = weight_graph(np.array([[1.0, 1.0], [1.0, 0.0]]), "top 25%")
    assert tied.number_of_edges() == 3  # k = 1, but the three equal weights are all kept
    assert weight_graph(np.array([[2.0, 0.0]]), "top 100%").number_of_edges() == 1
    assert weight_graph(np.array([[2.0, 0.0]]), 0).number_of_edges() == 1
    with pytest.raises(UserError, match="threshold 'strongest' is neither a number nor 'top P%'"):
        weight_graph(np.ones((2, 2)), "strongest")


def test_block_diagonal_weights_give_two_communities_with_the_modularity_computed_by_hand():
    # K(2 units, 3 inputs) and K(3 units, 4 inputs): 6 + 12 = 18 edges, degree sums 12 and 24,
    # Q = sum_c L_c/m - (d_c/2m)^2 = 6/18 - (12/36)^2 + 12/18 - (24/36)^2 = 4/9
    weights = blocks([(2, 3), (3, 4)], noise=0.4)
    stats = graph_statistics(weight_graph(weights, threshold=0.5))
    assert stats["n_communities"] == 2
    assert stats["modularity"] == pytest.approx(4 / 9, abs=1e-12)
    assert stats["clustering"] == pytest.approx(1.0)  # units of a block share all their inputs
    # the same 18 of 35 synapses, chosen by rank: ceil(0.5 * 35) = 18
    assert graph_statistics(weight_graph(weights, "top 50%")) == stats


def test_random_weights_are_far_less_modular_than_block_weights():
    # four disconnected K(10, 8): Q = 1 - 4 (1/4)^2 = 3/4; 320 of 1280 synapses = top 25 %
    block = graph_statistics(weight_graph(blocks([(10, 8)] * 4, noise=0.9), "top 25%"))
    shuffled = [
        graph_statistics(weight_graph(np.random.default_rng(seed).random((40, 32)), "top 25%"))
        for seed in range(3)
    ]
    assert block["modularity"] == pytest.approx(0.75)
    assert block["n_communities"] == 4
    assert all(s["n_edges"] == block["n_edges"] for s in shuffled)
    assert max(s["modularity"] for s in shuffled) < 0.35 < block["modularity"]


def test_before_after_thresholds_alike_and_shuffles_the_final_weights():
    final = blocks([(10, 8)] * 4, noise=0.9)
    initial = np.random.default_rng(1).random(final.shape)
    stages = before_after(initial, final, "top 25%", seed=0)
    assert list(stages) == ["before", "after", "shuffled"]
    assert {s["n_edges"] for s in stages.values()} == {320}
    assert stages["after"]["modularity"] > stages["before"]["modularity"] + 0.3
    assert stages["after"]["modularity"] > stages["shuffled"]["modularity"] + 0.3
    assert list(before_after(None, final)) == ["after", "shuffled"]


def test_section_shows_before_and_after_where_initial_weights_were_kept(tmp_path: Path):
    runs = []
    final = blocks([(2, 2)] * 10, noise=0.5)  # 20 units x 20 inputs: top 10 % = the blocks
    for seed in (0, 1):
        run = make_run(tmp_path, "stdp-wta", seed, {"test": {"accuracy": 0.8}})
        rec = recorder(run)
        rec.receptive_fields(final, signed=False, image_shape=(4, 5))
        rng = np.random.default_rng(seed)
        rec.arrays("final_state", weights=final, initial_weights=rng.random(final.shape))
        runs.append(run)
    run = make_run(tmp_path, "mlp-adam", 0, {"test": {"accuracy": 0.9}})
    recorder(run).receptive_fields(np.ones((3, 20)) - np.eye(3, 20), signed=True)
    runs.append(run)
    run = make_run(tmp_path, "mlp-adam", 1, {"test": {"accuracy": 0.9}})
    rec = recorder(run)
    rec.receptive_fields(np.ones((3, 20)) - np.eye(3, 20), signed=True)
    rec.arrays("final_state", initial_weights=np.ones((20, 3)))  # wrong orientation
    runs.append(run)
    context = ReportContext()

    table, note, figure = connectivity(context, group_runs(runs))

    assert isinstance(table, Table) and isinstance(note, Note) and isinstance(figure, Figure)
    rows = {(row[0], row[1]): dict(zip(table.headers, row, strict=True)) for row in table.rows}
    assert list(rows) == [
        ("mlp-adam", "after learning"),
        ("mlp-adam", "after, shuffled"),
        ("stdp-wta", "before learning"),
        ("stdp-wta", "after learning"),
        ("stdp-wta", "after, shuffled"),
    ]
    after = rows[("stdp-wta", "after learning")]
    assert after["seeds"] == 2
    # ten disconnected K(2, 2): Q = 1 - 10 (1/10)^2, by hand
    assert after["modularity"] == "0.900 ± 0.000"
    assert after["communities"] == "10.0 ± 0.0"
    before = float(rows[("stdp-wta", "before learning")]["modularity"].split()[0])
    assert before < 0.9 - 0.2  # random initial weights: no blocks
    assert "No weights before learning were stored for: mlp-adam." in note.text
    assert any("do not match its receptive fields" in n for n in context.notes)
    assert figure.png.startswith(b"\x89PNG")


def test_section_is_empty_without_receptive_fields(tmp_path: Path):
    run = make_run(tmp_path, "dqn", 0, {"eval": {"mean_return": 9.0}})
    assert connectivity(ReportContext(), group_runs([run])) == []

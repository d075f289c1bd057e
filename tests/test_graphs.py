"""Named recurrent graphs and their statistics, against networkx and what theory says."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from neurosim.graphs import column_positions, graph_statistics, make_graph


def test_erdos_renyi_mean_degree_is_p_times_n_minus_1():
    n, p = 400, 0.02
    stats = graph_statistics(make_graph("erdos-renyi", n, 0, mean_degree=p * (n - 1)))
    # edges ~ Binomial(n (n - 1), p): sd of the mean degree ~ 0.14 here
    assert stats["mean_degree"] == pytest.approx(p * (n - 1), abs=0.5)
    histogram = np.array(stats["degree_histogram"])
    assert histogram.sum() == n
    assert np.dot(np.arange(len(histogram)), histogram) / n == pytest.approx(stats["mean_degree"])


def test_watts_strogatz_clusters_far_more_than_erdos_renyi_at_the_same_density():
    n, k = 300, 10
    small_world = graph_statistics(make_graph("watts-strogatz", n, 0, mean_degree=k, rewire=0.1))
    random = graph_statistics(make_graph("erdos-renyi", n, 0, mean_degree=k))
    assert small_world["mean_degree"] == k
    assert random["mean_degree"] == pytest.approx(k, rel=0.1)
    assert small_world["clustering"] > 5 * random["clustering"]
    assert small_world["path_length"] < 2 * random["path_length"]  # still a small world


def test_a_ring_lattice_has_the_textbook_clustering():
    """Without rewiring, each node of a ring with k neighbours has C = 3(k - 2) / (4(k - 1))."""
    k = 10
    stats = graph_statistics(make_graph("watts-strogatz", 100, 0, mean_degree=k, rewire=0.0))
    assert stats["clustering"] == pytest.approx(3 * (k - 2) / (4 * (k - 1)))


def test_path_length_is_taken_on_the_largest_strongly_connected_component():
    cycle = nx.cycle_graph(12, create_using=nx.DiGraph)  # one way round: mean distance n / 2
    stats = graph_statistics(nx.disjoint_union(cycle, nx.path_graph(5, create_using=nx.DiGraph)))
    assert stats["path_length"] == pytest.approx(6.0)
    assert stats["n_nodes"] == 17 and stats["n_edges"] == 12 + 4


def test_distance_graph_connects_neighbours_with_c_exp_minus_d_over_lambda_squared():
    n, c, lam = 900, 0.3, 2.0
    graph = make_graph("distance", n, 0, distance_c=c, distance_lambda=lam)
    positions = column_positions(n)
    distance = np.linalg.norm(positions[:, None] - positions[None, :], axis=-1)
    adjacency = nx.to_numpy_array(graph, nodelist=range(n)) > 0
    for d in (1.0, math.sqrt(2), 2.0):
        pairs = np.isclose(distance, d)
        expected = c * math.exp(-((d / lam) ** 2))
        assert adjacency[pairs].mean() == pytest.approx(expected, abs=0.03), d
    assert adjacency[distance > 6].mean() < 1e-4  # p < 4e-5 there


def test_a_graph_is_fixed_by_its_seed():
    first, again = (make_graph("watts-strogatz", 50, 3, mean_degree=4) for _ in range(2))
    assert sorted(first.edges()) == sorted(again.edges())
    other = make_graph("watts-strogatz", 50, 4, mean_degree=4)
    assert sorted(first.edges()) != sorted(other.edges())
    assert all(not graph.has_edge(i, i) for graph in (first, other) for i in graph)

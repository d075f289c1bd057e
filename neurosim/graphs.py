"""Directed recurrent connectivity by name, and its statistics, from networkx.

Reservoirs (echo-state networks, liquid state machines) are defined as much by who connects to
whom as by their weights; naming the graph lets a sweep compare topologies at one density:

- `erdos-renyi`: each directed edge with probability p = mean_degree / (n - 1).
- `watts-strogatz`: a ring lattice with `mean_degree` neighbours, each edge rewired with
  probability `rewire` (Watts & Strogatz 1998, small world), every edge taken both ways.
- `distance`: neurons on the integer points of a column of 3 x 3 layers (Maass, Natschläger &
  Markram 2002: a 15 x 3 x 3 column of 135 neurons), a -> b with probability
  C * exp(-(D(a, b) / lambda)^2), D the Euclidean distance.

Nodes are 0..n-1; an edge i -> j means that unit i projects to unit j. No self-loops.
"""

from __future__ import annotations

import math
from typing import Literal

import networkx as nx
import numpy as np

GraphName = Literal["erdos-renyi", "watts-strogatz", "distance"]
GRAPHS: tuple[str, ...] = ("erdos-renyi", "watts-strogatz", "distance")
COLUMN_WIDTH = 3  # Maass et al. 2002: columns 3 x 3 neurons wide


def make_graph(
    name: GraphName,
    n: int,
    seed: int,
    *,
    mean_degree: float = 10.0,
    rewire: float = 0.1,
    distance_lambda: float = 2.0,
    distance_c: float = 0.3,
) -> nx.DiGraph:
    """The named directed graph on n nodes, drawn from `seed`.

    `mean_degree` sets the density of `erdos-renyi` and `watts-strogatz` (for the latter it is
    rounded to an even lattice degree); `distance` draws its density from C and lambda.
    """
    rng = np.random.default_rng(seed)
    if name == "erdos-renyi":
        p = min(1.0, mean_degree / (n - 1))
        return nx.gnp_random_graph(n, p, seed=rng, directed=True)
    if name == "watts-strogatz":
        k = max(2, 2 * round(mean_degree / 2))
        return nx.watts_strogatz_graph(n, min(k, n - 1), rewire, seed=rng).to_directed()
    if name == "distance":
        return _distance_graph(n, rng, distance_lambda, distance_c)
    raise ValueError(f"unknown graph {name!r}; graphs: {', '.join(GRAPHS)}")


def column_positions(n: int) -> np.ndarray:
    """Integer (x, y, z) of n neurons filling a column of 3 x 3 layers, layer by layer."""
    depth = math.ceil(n / COLUMN_WIDTH**2)
    grid = np.stack(
        np.meshgrid(
            np.arange(depth), np.arange(COLUMN_WIDTH), np.arange(COLUMN_WIDTH), indexing="ij"
        ),
        axis=-1,
    )
    return grid.reshape(-1, 3)[:n].astype(np.float64)


def _distance_graph(n: int, rng: np.random.Generator, lam: float, c: float) -> nx.DiGraph:
    positions = column_positions(n)
    distance = np.linalg.norm(positions[:, None, :] - positions[None, :, :], axis=-1)
    probability = c * np.exp(-((distance / lam) ** 2))
    np.fill_diagonal(probability, 0.0)
    sources, targets = np.nonzero(rng.random((n, n)) < probability)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(sources.tolist(), targets.tolist(), strict=True))
    return graph


def graph_statistics(graph: nx.DiGraph) -> dict[str, object]:
    """Size, out-degree histogram and mean, clustering and characteristic path length.

    Clustering is networkx's directed clustering (Fagiolo 2007) averaged over nodes. The path
    length is averaged over the largest strongly connected component, where every pair has a
    path (0 for a component of one node).
    """
    n = graph.number_of_nodes()
    out_degrees = np.array([d for _, d in graph.out_degree()], dtype=np.int64)
    largest = max(nx.strongly_connected_components(graph), key=len)
    core = graph.subgraph(largest)
    path = nx.average_shortest_path_length(core) if len(largest) > 1 else 0.0
    return {
        "n_nodes": n,
        "n_edges": graph.number_of_edges(),
        "mean_degree": graph.number_of_edges() / n,
        "degree_histogram": np.bincount(out_degrees).tolist(),
        "clustering": float(nx.average_clustering(graph)),
        "path_length": float(path),
    }


def adjacency(graph: nx.DiGraph) -> tuple[np.ndarray, np.ndarray]:
    """Edges as (sources, targets) index arrays, sorted, for building weight matrices."""
    edges = np.array(sorted(graph.edges()), dtype=np.int64).reshape(-1, 2)
    return edges[:, 0], edges[:, 1]

"""A learned weight matrix as a graph, and the statistics that say what learning did to it.

`weight_graph` keeps the strongest synapses of a feedforward matrix (n_post, n_pre) as directed
edges pre -> post: a bipartite graph, nodes `("pre", i)` and `("post", j)` with attribute
`layer`. The threshold rule:

- `"top P%"` (default `"top 10%"`): the k = ceil(P/100 * n_pre * n_post) strongest synapses by
  |w|; synapses tied with the k-th strongest are all kept, so no tie is broken arbitrarily. A
  relative threshold keeps the same density before and after learning, so their graphs compare.
- a number t: every synapse with |w| > t (0: every nonzero synapse).

A zero weight is no synapse and never an edge. Signed weights (a trained layer) count by |w|: an
inhibitory synapse of the same size connects as strongly as an excitatory one.

Why not `neurosim.graphs.graph_statistics`: it describes recurrent reservoirs, and on a
feedforward bipartite graph its directed clustering has no triangle to count and every strongly
connected component is one node, so both read 0 whatever was learned. Here clustering is
bipartite (Latapy, Magnien & Del Vecchio 2008) over the post units: for a unit, the mean Jaccard
overlap of its input set with that of every unit sharing an input. It is the redundancy of the
receptive fields: units that learned distinct prototypes overlap little, units that learned the
same blob overlap a lot.
"""

from __future__ import annotations

import math
import re
from typing import Any

import networkx as nx
import numpy as np
from networkx.algorithms import bipartite

from neurosim.errors import UserError

DEFAULT_THRESHOLD = "top 10%"
COMMUNITY_SEED = 0  # Louvain is randomised: one fixed seed makes a run's statistics reproducible
_TOP = re.compile(r"^\s*top\s+(\d+(?:\.\d*)?)\s*%\s*$")


def weight_graph(weights: np.ndarray, threshold: str | float = DEFAULT_THRESHOLD) -> nx.DiGraph:
    """The synapses of `weights` (n_post, n_pre) above `threshold` (see the module docstring) as
    edges ("pre", i) -> ("post", j) with attribute `weight` = |w|; every unit is a node."""
    strength = np.abs(np.asarray(weights, dtype=np.float64))
    if strength.ndim != 2:
        raise ValueError(f"a weight matrix is (n_post, n_pre), not shape {strength.shape}")
    n_post, n_pre = strength.shape
    cut = _cut(strength, threshold)
    keep = (strength >= cut if isinstance(threshold, str) else strength > cut) & (strength > 0)
    graph = nx.DiGraph()
    graph.add_nodes_from((("pre", i) for i in range(n_pre)), layer="pre", bipartite=0)
    graph.add_nodes_from((("post", j) for j in range(n_post)), layer="post", bipartite=1)
    posts, pres = np.nonzero(keep)
    graph.add_weighted_edges_from(
        (("pre", int(i)), ("post", int(j)), float(strength[j, i]))
        for j, i in zip(posts, pres, strict=True)
    )
    return graph


def _cut(strength: np.ndarray, threshold: str | float) -> float:
    """The |w| at the threshold: the k-th largest for "top P%", the number itself otherwise."""
    if not isinstance(threshold, str):
        return float(threshold)
    match = _TOP.match(threshold)
    if match is None or not 0 < float(match[1]) <= 100:
        raise UserError(
            f"connectivity threshold '{threshold}' is neither a number nor 'top P%' with"
            " 0 < P <= 100; write e.g. 'top 10%' or 0.5",
            field="threshold",
        )
    k = math.ceil(float(match[1]) / 100 * strength.size)
    return float(np.sort(strength, axis=None)[-k])


def graph_statistics(graph: nx.DiGraph) -> dict[str, Any]:
    """Degrees, receptive-field overlap and community structure of a `weight_graph`.

    In-degree: inputs a post unit keeps; out-degree: post units a pre unit drives (their sd over
    units says how unequal the units are). Modularity is Newman's, of networkx's Louvain
    communities (seed `COMMUNITY_SEED`) of the undirected, unweighted graph without its isolated
    nodes: the threshold already chose the edges, and an unconnected input (a blank corner
    pixel) would count as a community of its own. Clustering: see the module docstring.
    """
    pre = [node for node, layer in graph.nodes(data="layer") if layer == "pre"]
    post = [node for node, layer in graph.nodes(data="layer") if layer == "post"]
    in_degrees = np.array([graph.in_degree(node) for node in post], dtype=np.int64)
    out_degrees = np.array([graph.out_degree(node) for node in pre], dtype=np.int64)
    undirected = nx.Graph(graph.edges())
    if undirected.number_of_edges():
        communities = nx.community.louvain_communities(undirected, seed=COMMUNITY_SEED)
        modularity = nx.community.modularity(undirected, communities)
        connected_post = [node for node in post if node in undirected]
        clustering = bipartite.average_clustering(undirected, connected_post, mode="dot")
    else:
        communities, modularity, clustering = [], float("nan"), float("nan")
    return {
        "n_pre": len(pre),
        "n_post": len(post),
        "n_edges": graph.number_of_edges(),
        "density": graph.number_of_edges() / max(1, len(pre) * len(post)),
        "mean_in_degree": float(np.mean(in_degrees)) if len(post) else float("nan"),
        "mean_out_degree": float(np.mean(out_degrees)) if len(pre) else float("nan"),
        "sd_in_degree": float(np.std(in_degrees)) if len(post) else float("nan"),
        "sd_out_degree": float(np.std(out_degrees)) if len(pre) else float("nan"),
        "in_degree_histogram": np.bincount(in_degrees).tolist(),
        "out_degree_histogram": np.bincount(out_degrees).tolist(),
        "isolated_pre": int(np.sum(out_degrees == 0)),
        "isolated_post": int(np.sum(in_degrees == 0)),
        "clustering": float(clustering),
        "modularity": float(modularity),
        "n_communities": len(communities),
    }


def before_after(
    initial: np.ndarray | None,
    final: np.ndarray,
    threshold: str | float = DEFAULT_THRESHOLD,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """`graph_statistics` before learning (where `initial` is known), after, and of the final
    weights shuffled, all thresholded alike.

    The shuffled matrix holds the same weights at random places: what its graph shows (Louvain
    finds some modularity in any sparse graph) comes from the weight distribution and the
    density alone, so only the difference between "after" and "shuffled" is structure learned.
    """
    final = np.asarray(final, dtype=np.float64)
    shuffled = np.random.default_rng(seed).permutation(final.ravel()).reshape(final.shape)
    stages = {"before": initial, "after": final, "shuffled": shuffled}
    return {
        stage: graph_statistics(weight_graph(weights, threshold))
        for stage, weights in stages.items()
        if weights is not None
    }

"""Maximum-capacitance spanning trees: the MST design and the fallback of time-limited solves.

A maximum spanning tree's path between two users has the pair's largest possible bottleneck
capacitance B_ij, so (1 − α)·B_ij bounds the pair's efficiency from above (the hop penalty is
≤ 0): :func:`tree_fallback` turns that into a feasible point and an honest bound for the pairs a
time-limited solve did not reach.
"""

from __future__ import annotations

import numpy as np


def max_spanning_tree(capacitance) -> list:
    """Links ``(i, j)``, ``i < j``, of a maximum-capacitance spanning tree (forest if disconnected).

    Kruskal on the capacitance ranks (ties broken as :mod:`scipy.sparse.csgraph` breaks them).

    Examples
    --------
    >>> C = np.array([[-np.inf, 3.0, 1.0], [3.0, -np.inf, 2.0], [1.0, 2.0, -np.inf]])
    >>> max_spanning_tree(C)
    [(0, 1), (1, 2)]
    """
    from scipy.sparse.csgraph import minimum_spanning_tree

    C = np.asarray(capacitance, dtype=float)
    finite = np.isfinite(C)
    values = np.unique(C[finite])
    rank = np.searchsorted(values, np.where(finite, C, values[0] if values.size else 0.0))
    weight = np.where(finite, values.size - rank, 0).astype(float)     # >= 1 on links, 0 = no link
    tree = minimum_spanning_tree(np.triu(weight)).tocoo()
    return sorted((int(min(a, b)), int(max(a, b))) for a, b in zip(tree.row, tree.col))


def tree_routes(capacitance, tree_edges, source):
    """Paths from ``source`` in a tree: (predecessors, links per node, bottleneck capacitance per node).

    Nodes outside ``source``'s tree have predecessor -9999, 0 links and bottleneck ``-inf``.

    Examples
    --------
    >>> C = np.array([[-np.inf, 3.0, 1.0], [3.0, -np.inf, 2.0], [1.0, 2.0, -np.inf]])
    >>> pred, links, neck = tree_routes(C, [(0, 1), (1, 2)], 0)
    >>> links.tolist(), neck.tolist(), tree_path(pred, 0, 2)
    ([0, 1, 2], [inf, 3.0, 2.0], [0, 1, 2])
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import breadth_first_order

    C = np.asarray(capacitance, dtype=float)
    n = C.shape[0]
    rows = np.array([e[0] for e in tree_edges], dtype=np.int64)
    cols = np.array([e[1] for e in tree_edges], dtype=np.int64)
    graph = coo_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n)).tocsr()
    order, pred = breadth_first_order(graph, source, directed=False, return_predecessors=True)
    links = np.zeros(n, dtype=np.int64)
    neck = np.full(n, -np.inf)
    neck[source] = np.inf
    for v in order[1:]:
        p = pred[v]
        links[v] = links[p] + 1
        neck[v] = min(neck[p], C[p, v])
    return pred, links, neck


def tree_path(pred, source, target) -> list:
    """The node list from ``source`` to ``target`` read off :func:`tree_routes`' predecessors."""
    path = [int(target)]
    while path[-1] != source:
        path.append(int(pred[path[-1]]))
    return path[::-1]


def tree_fallback(capacitance, weight, penalty, todo):
    """The feasible point of a time-limited solve for the pairs ``todo`` (bool (N, N), i < j).

    Each such pair takes the better of its direct link (if any) and its path in a maximum
    spanning tree, whose capacitance is the pair's largest bottleneck B_ij; so
    ``weight * B`` (penalty ≤ 0) bounds the pair's optimum from above. Vectorized with
    lowest common ancestors found by binary lifting, O(N² log N).

    Returns
    -------
    dict
        ``efficiency``, ``capacitance``, ``hops`` (N, N; filled on ``todo``), ``bottleneck`` B
        (N, N), ``links`` (set of (i, j) used) and ``betweenness`` (N,) (inner nodes of the
        tree paths used).

    Examples
    --------
    >>> C = np.array([[-np.inf, 3.0, 1.0], [3.0, -np.inf, 2.0], [1.0, 2.0, -np.inf]])
    >>> out = tree_fallback(C, 1.0, 0.0, np.triu(np.ones((3, 3), bool), 1))
    >>> out["hops"][0, 2], out["capacitance"][0, 2], sorted(out["links"]), out["betweenness"].tolist()
    (np.int64(2), np.float64(2.0), [(0, 1), (1, 2)], [0, 1, 0])
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import breadth_first_order

    C = np.asarray(capacitance, dtype=float)
    n = C.shape[0]
    tree = max_spanning_tree(C)
    rows = np.array([e[0] for e in tree], dtype=np.int64)
    cols = np.array([e[1] for e in tree], dtype=np.int64)
    graph = coo_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n)).tocsr()
    order, parent = breadth_first_order(graph, 0, directed=False, return_predecessors=True)
    parent = np.where(parent < 0, np.arange(n), parent)            # the root is its own parent
    depth = np.zeros(n, dtype=np.int64)
    for v in order[1:]:
        depth[v] = depth[parent[v]] + 1
    # largest bottleneck: merge the tree's components by decreasing link capacitance
    B = np.full((n, n), -np.inf)
    label = np.arange(n)
    members = {i: [i] for i in range(n)}
    for a, b in sorted(tree, key=lambda e: -C[e]):
        x, y = members.pop(label[a]), members.pop(label[b])
        B[np.ix_(x, y)] = C[a, b]
        B[np.ix_(y, x)] = C[a, b]
        label[y] = label[x[0]]
        members[label[x[0]]] = x + y
    ii, jj = np.nonzero(np.triu(todo, 1))
    # lowest common ancestors by binary lifting
    up = [parent]
    while (1 << len(up)) < n:
        up.append(up[-1][up[-1]])
    a = np.where(depth[ii] >= depth[jj], ii, jj)
    b = np.where(depth[ii] >= depth[jj], jj, ii)
    diff = depth[a] - depth[b]
    for k, anc in enumerate(up):
        sel = ((diff >> k) & 1).astype(bool)
        a[sel] = anc[a[sel]]
    same = a == b
    for anc in reversed(up):
        move = anc[a] != anc[b]
        a[move], b[move] = anc[a[move]], anc[b[move]]
    lca = np.where(same, a, parent[a])
    tree_hops = depth[ii] + depth[jj] - 2 * depth[lca]
    e_tree = weight * B[ii, jj] + (tree_hops - 1) * penalty
    e_direct = weight * C[ii, jj]
    direct = e_direct >= e_tree
    eff = np.zeros((n, n))
    cap = np.zeros((n, n))
    hops = np.zeros((n, n), dtype=np.int64)
    eff[ii, jj] = np.where(direct, e_direct, e_tree)
    cap[ii, jj] = np.where(direct, C[ii, jj], B[ii, jj])
    hops[ii, jj] = np.where(direct, 1, tree_hops)
    links = {(int(x), int(y)) for x, y in zip(ii[direct], jj[direct])}
    t_i, t_j, t_l = ii[~direct], jj[~direct], lca[~direct]
    # paths covering each node / each tree link (v, parent v): +1 at the ends, -1 (-2) at the lca
    cover = np.zeros(n, dtype=np.int64)
    through = np.zeros(n, dtype=np.int64)
    np.add.at(cover, t_i, 1)
    np.add.at(cover, t_j, 1)
    np.add.at(cover, t_l, -1)
    not_root = t_l != parent[t_l]
    np.add.at(cover, parent[t_l[not_root]], -1)
    np.add.at(through, t_i, 1)
    np.add.at(through, t_j, 1)
    np.add.at(through, t_l, -2)
    for v in order[:0:-1]:
        cover[parent[v]] += cover[v]
        through[parent[v]] += through[v]
    ends = np.bincount(np.concatenate([t_i, t_j]), minlength=n)
    links.update((int(min(v, parent[v])), int(max(v, parent[v]))) for v in order[1:] if through[v] > 0)
    return {"efficiency": eff, "capacitance": cap, "hops": hops, "bottleneck": B, "links": links,
            "betweenness": cover - ends}

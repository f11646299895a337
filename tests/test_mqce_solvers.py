"""MQCE: fast DP and Pollack reference agree exactly; brute force over simple paths; CLI contract."""

import json
import math

import networkx as nx
import numpy as np
import pytest

from qnum.cli import main
from qnum.errors import ScenarioError
from qnum.networks.relay import from_coordinates, from_fiber_graph, random_square
from qnum.physics import plob_capacitance
from qnum.solvers.mqce.fast import solve_alpha_sweep, solve_fast
from qnum.solvers.mqce.pollack import solve_pollack


def _enumerate_optimal(sc):
    """Every pair's best (E, -hops, path) over all simple paths of usable links (max E, then fewest hops)."""
    n = sc.nodes
    C = sc.capacitance
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from((i, j) for i in range(n) for j in range(i + 1, n) if np.isfinite(C[i, j]))
    best = {}
    for i in range(n):
        for j in range(i + 1, n):
            cands = []
            for path in nx.all_simple_paths(g, i, j):
                cap = min(C[a, b] for a, b in zip(path, path[1:]))
                k = len(path) - 2
                cands.append(((1 - sc.alpha) * cap + k * sc.hop_penalty, -k, path))
            best[i, j] = max(cands, key=lambda t: t[:2])
    return best


def _brute(sc):
    return {pair: t[:2] for pair, t in _enumerate_optimal(sc).items()}


@pytest.mark.parametrize("seed", range(24))
def test_fast_equals_pollack_and_brute(seed):
    rng = np.random.default_rng(seed)
    sc = random_square(int(rng.integers(3, 8)), float(rng.choice([1.0, 5.0, 20.0])), 1.0,
                       p_malicious=float(rng.choice([0.0, 0.01, 0.1, 0.5])),
                       alpha=float(rng.choice([0, .2, .5, .9, 1])),
                       seed=seed)
    f, p = solve_fast(sc), solve_pollack(sc)
    assert np.array_equal(f.efficiency, p.efficiency)
    assert np.array_equal(f.capacitance, p.capacitance)
    assert np.array_equal(f.hops, p.hops)
    assert f.edges == p.edges
    for (i, j), (e, negk) in _brute(sc).items():
        assert math.isclose(f.efficiency[i, j], e, rel_tol=1e-12, abs_tol=1e-15)
        assert f.hops[i, j] == -negk + 1
    # every pair's optimal path lies in the network: the network is connected
    g = nx.Graph(f.edges)
    g.add_nodes_from(range(sc.nodes))
    assert nx.is_connected(g)


@pytest.mark.parametrize("seed", range(6))
def test_larger_agree(seed):
    sc = random_square(40, 10.0, 1.0, p_malicious=0.05 * seed, alpha=0.1 + 0.15 * seed, seed=seed)
    f, p = solve_fast(sc), solve_pollack(sc)
    assert np.array_equal(f.efficiency, p.efficiency) and np.array_equal(f.hops, p.hops)
    assert f.edges == p.edges


def test_fiber_graph_only_edges():
    sc = from_fiber_graph(4, [[0, 1, 1.0], [1, 2, 1.0], [2, 3, 1.0], [0, 3, 10.0]], 1.0, 0.1, 0.5)
    f = solve_fast(sc)
    assert f.hops[0, 2] == 2 and np.array_equal(f.efficiency, solve_pollack(sc).efficiency)


def test_capacitance_far():
    assert plob_capacitance(50.0, 1.0) > 0
    assert math.isclose(plob_capacitance(50.0, 1.0), math.exp(-50) / math.log(2), rel_tol=1e-12)


@pytest.mark.parametrize("kw,field", [
    (dict(coordinates_km=[[0, 0]]), "coordinates"),
    (dict(coordinates_km=[[0, 0], [1, 1], [0, 0]]), "coordinates"),
    (dict(coordinates_km=[[0, 0], [1, 1]], p_malicious=1.0), "p_malicious"),
    (dict(coordinates_km=[[0, 0], [1, 1]], alpha=1.5), "alpha"),
    (dict(coordinates_km=[[0, 0], [1, 1]], decay_length_km=0.0), "decay_length_km"),
])
def test_bad_input(kw, field):
    kw.setdefault("decay_length_km", 1.0)
    with pytest.raises(ScenarioError) as e:
        from_coordinates(**kw)
    assert e.value.field == field


def test_disconnected_graph():
    with pytest.raises(ScenarioError, match="disconnected"):
        from_fiber_graph(4, [[0, 1, 1.0], [2, 3, 1.0]], 1.0)


def _write(tmp_path, data):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(data))
    return str(p)


def test_cli_contract(tmp_path, capsys):
    xy = [[0, 0], [1, 0], [2, 0], [5, 5]]
    f = _write(tmp_path, {"kind": "mqce", "coordinates": xy, "decay_length_km": 1.0, "p_malicious": 0.01,
                          "alpha": 0.1})
    assert main(["solve", f, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "optimal"
    for key in ("efficiency", "capacitance", "hops"):
        m = np.array(out[key])
        assert m.shape == (4, 4) and np.all(np.diag(m) == 0) and np.array_equal(m, m.T)
    assert out["hops"][0][2] == 2 and [0, 1] in out["edges"]
    iu = np.triu_indices(4, 1)
    assert math.isclose(out["avg_hops"], np.array(out["hops"])[iu].mean())
    assert math.isclose(out["avg_capacitance"], np.array(out["capacitance"])[iu].mean())
    assert main(["solve", f, "--json", "--method", "pollack"]) == 0
    assert json.loads(capsys.readouterr().out)["efficiency"] == out["efficiency"]


@pytest.mark.parametrize("data", [
    {"coordinates": [[0, 0], [0, 0]], "decay_length_km": 1.0},
    {"coordinates": [[0, 0]], "decay_length_km": 1.0},
    {"coordinates": [[0, 0], [1, 0]], "decay_length_km": -1.0},
    {"coordinates": [[0, 0], [1, 0]], "decay_length_km": 1.0, "p_malicious": -0.1},
    {"coordinates": [[0, 0], [1, 0]], "decay_length_km": 1.0, "alpha": 2},
    {"nodes": 3, "edges": [[0, 1, 1.0]], "decay_length_km": 1.0},
    {"coordinates": [[0, 0], [1, 0]], "decay_lenght_km": 1.0},
])
def test_cli_bad_input_exit_2(tmp_path, capsys, data):
    f = _write(tmp_path, {"kind": "mqce", **data})
    assert main(["solve", f, "--json"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip()


def test_cli_bad_method(tmp_path, capsys):
    f = _write(tmp_path, {"kind": "mqce", "coordinates": [[0, 0], [1, 0]], "decay_length_km": 1.0})
    assert main(["solve", f, "--json", "--method", "nope"]) == 2
    assert "method" in capsys.readouterr().err


@pytest.mark.parametrize("seed", range(4))
def test_alpha_sweep_equals_separate_solves(seed):
    """The shared-level sweep gives bit-identical E*, capacitance, hops and networks."""
    rng = np.random.default_rng(seed)
    p = [0.0, 0.05, 0.3, 0.1][seed]
    if seed == 3:   # a sparse fiber graph, not the complete graph
        g = nx.connected_watts_strogatz_graph(25, 4, 0.3, seed=seed)
        sc = from_fiber_graph(25, [(u, v, float(rng.uniform(0.5, 5))) for u, v in g.edges()],
                              decay_length_km=1.0, p_malicious=p)
    else:
        sc = random_square(int(rng.integers(20, 60)), float(rng.uniform(3, 15)), 1.0, p, 0.5, seed=seed)
    alphas = np.r_[0.0, np.sort(rng.uniform(0, 1, 6)), 1.0]
    for res, alpha in zip(solve_alpha_sweep(sc, alphas, build_edges=True), alphas):
        one = solve_fast(sc.replace(alpha=alpha))
        assert np.array_equal(res.efficiency, one.efficiency)
        assert np.array_equal(res.capacitance, one.capacitance)
        assert np.array_equal(res.hops, one.hops)
        assert res.edges == one.edges


@pytest.mark.parametrize("seed", range(8))
def test_observables_against_enumerated_paths(seed):
    from qnum.solvers.mqce.observables import observables
    rng = np.random.default_rng(seed)
    sc = random_square(6, float(rng.uniform(2, 12)), 1.0, float(rng.uniform(0.01, 0.3)),
                       float(rng.uniform(0.05, 0.95)), seed=seed)
    obs = observables(solve_fast(sc))
    paths = {pair: t[2] for pair, t in _enumerate_optimal(sc).items()}
    between = np.zeros(sc.nodes, dtype=int)
    edges = set()
    for path in paths.values():
        between[path[1:-1]] += 1
        edges |= {tuple(sorted(e)) for e in zip(path, path[1:])}
    assert obs["betweenness"] == between.tolist()
    assert obs["link_density"] == len(edges) / 15
    assert sum(obs["betweenness"]) == sum(len(p) - 2 for p in paths.values())
    degree = np.bincount(np.array(sorted(edges)).ravel(), minlength=sc.nodes)
    assert obs["degrees"] == degree.tolist()
    assert obs["avg_hops"] == pytest.approx(np.mean([len(p) - 1 for p in paths.values()]))


@pytest.mark.parametrize("seed", range(8))
def test_optimal_path_is_optimal_and_in_network(seed):
    from qnum.solvers.mqce.fast import optimal_path
    sc = random_square(25, 8.0, 1.0, p_malicious=0.02 * seed, alpha=0.1 * seed, seed=seed)
    r = solve_fast(sc)
    net = set(r.edges)
    C = sc.capacitance
    for i in range(sc.nodes):
        for j in range(sc.nodes):
            path = optimal_path(sc, r, i, j)
            assert path[0] == i and path[-1] == j and len(path) == r.hops[i, j] + 1
            if i != j:
                links = list(zip(path, path[1:]))
                assert min(C[a, b] for a, b in links) == r.capacitance[i, j]
                assert all((min(a, b), max(a, b)) in net for a, b in links)
    assert optimal_path(sc, r, 3, 3) == [3]
    with pytest.raises(ValueError, match="j = 99"):
        optimal_path(sc, r, 0, 99)


@pytest.mark.parametrize("seed", range(10))
def test_max_bottleneck_matches_widest_paths(seed):
    """The kernel's spanning-tree bottlenecks equal widest-path values by brute force (disconnected too)."""
    from qnum.solvers.mqce.kernels import max_bottleneck
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 9))
    R = np.full((n, n), -1, dtype=np.int32)
    for i in range(n):
        for j in range(i + 1, n):
            if rng.random() < 0.5:
                R[i, j] = R[j, i] = rng.integers(0, 6)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from((i, j, int(R[i, j])) for i in range(n) for j in range(n) if i < j and R[i, j] >= 0)
    B = max_bottleneck(R)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            widths = [min(g[a][b]["weight"] for a, b in zip(p, p[1:])) for p in nx.all_simple_paths(g, i, j)]
            assert B[i, j] == (max(widths) if widths else -1)


@pytest.mark.parametrize("alpha, p", [(0.5, 0.1), (0.3, 0.02), (0.9, 0.3)])
def test_lattice_ties_agree_with_pollack(alpha, p):
    """Many equal capacitances (a jittered-free lattice: equal distances everywhere), several
    source blocks and a partial last block: the pruned block DP matches Pollack bit for bit."""
    xy = [[x, y] for x in range(7) for y in range(6)]            # 42 users, 3 blocks of 16
    sc = from_coordinates(np.array(xy, dtype=float) * 1.3, 1.0, p_malicious=p, alpha=alpha)
    f, q = solve_fast(sc), solve_pollack(sc)
    for name in ("efficiency", "capacitance", "hops", "betweenness"):
        assert np.array_equal(getattr(f, name), getattr(q, name)), name
    assert f.edges == q.edges


@pytest.mark.parametrize("seed", range(3))
def test_rank_inputs_match_numpy(seed):
    """Link ranks and neighbor lists (ties by index, no-links last) equal a plain numpy build."""
    from qnum.solvers.mqce.fast import _rank_inputs
    rng = np.random.default_rng(seed)
    n = 37
    C = np.round(rng.uniform(0, 3, (n, n)), 1)          # few distinct values: many ties
    C = np.triu(C, 1) + np.triu(C, 1).T
    C[rng.random((n, n)) < 0.2] = -np.inf
    C = np.minimum(C, C.T)
    np.fill_diagonal(C, -np.inf)
    R, nbr, nbr_rank, nbr_value8, B, values = _rank_inputs(C)
    finite = np.isfinite(C)
    vals = np.unique(C[finite])
    R0 = np.where(finite, np.searchsorted(vals, np.where(finite, C, 0.0)), -1)
    nbr0 = np.argsort(-R0, axis=1, kind="stable")
    assert np.array_equal(values[:-1], vals) and values[-1] == -np.inf
    assert np.array_equal(R, R0)
    assert np.array_equal(nbr[:, :n], nbr0)
    assert np.array_equal(nbr_rank[:, :n], np.take_along_axis(R0, nbr0, axis=1))
    assert np.all(nbr_rank[:, n:] == -1)
    assert np.array_equal(nbr_value8, values[nbr_rank[:, :n:8]])


def test_blocks_cover_every_source_once():
    from qnum.solvers.mqce import kernels
    from qnum.solvers.mqce.fast import _rank_inputs
    sc = random_square(53, 10.0, seed=4)
    blocks = kernels.source_blocks(_rank_inputs(sc.capacitance)[1])
    assert blocks.shape == (4, kernels.LANES)
    assert sorted(blocks[blocks >= 0].tolist()) == list(range(53))


def test_bare_matrix_solve_refuses_an_asymmetric_matrix():
    """The exact solver ranks the upper triangle only: an asymmetric matrix is refused, not half read."""
    import numpy as np
    import pytest

    from qnum.errors import InputError
    from qnum.solvers.mqce.fast import solve_matrix

    C = np.array([[-np.inf, 1.0, -np.inf], [2.0, -np.inf, -np.inf], [-np.inf, -np.inf, -np.inf]])
    with pytest.raises(InputError, match="symmetric"):
        solve_matrix(C, 0.5, 0.0)

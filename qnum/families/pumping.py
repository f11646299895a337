"""The pumping family's plug-in: scenario files, ``qnum solve/simulate``, ``qnum bench pumping``.

Scenario file (JSON or TOML)::

    {"kind": "pumping", "nodes": N, "capacity": K, "alpha": 1 | "maxmin",
     "states": [{"prob": p, "skr": N x N symmetric matrix (bit/s)}, ...],
     "sharing": {"per_count_factor": [f_1, ..., f_K]},        (optional)
     "topologies": "at-most-k" | "matching" | [[[i, j], ...], ...],   (optional)
     "weights": N x N symmetric matrix,                       (optional)
     "channel": "iid" | "fixed" | {"process": "markov", "transition": [[...]]},  (optional)
     "name": "label"}                                          (optional)

or, instead of ``states``, the physical form (SKRs from BBM92,
``s = R 10^(-a d / 10) max(0, 1 - 2 h(Q))``), which also allows the paper's
perturbed-QBER channel ``{"process": "perturbed-qber", "period_slots": 100, "delta": 0.005}``::

    {"distance_km": N x N, "qber": N x N, "qber_states": [N x N, ...] (optional),
     "probabilities": [...] (optional), "attenuation_db_per_km": 0.2, "repetition_rate_hz": 1e9}
"""

from __future__ import annotations

import math
import os
import time

import numpy as np

from qnum.bench.compare import compare
from qnum.bench.report import bench_row
from qnum.errors import ScenarioError
from qnum.models.pumping import AlphaFair
from qnum.networks.channels import channel_from_dict
from qnum.networks.io import check_keys, require
from qnum.networks.pumping import (AT_MOST_K, DEFAULT_REPETITION_RATE_HZ, PumpingScenario, four_node_example,
                                   from_distance_qber, matrix_to_pairs, table_i)
from qnum.solvers.pumping.online import POLICIES as ONLINE_POLICIES
from qnum.solvers.pumping.online import simulate
from qnum.utility import total_utility

KIND = "pumping"
BENCH_NAME = "pumping"
POLICIES = ONLINE_POLICIES

_KEYS = {"kind", "name", "nodes", "capacity", "alpha", "states", "sharing", "topologies", "weights", "channel",
         "distance_km", "qber", "qber_states", "probabilities", "attenuation_db_per_km", "repetition_rate_hz"}
_PHYSICAL_KEYS = {"distance_km", "qber", "qber_states", "probabilities", "attenuation_db_per_km",
                  "repetition_rate_hz"}


def scenario_from_dict(data: dict) -> PumpingScenario:
    """Validated scenario from the file form (module docstring).

    Examples
    --------
    >>> sc = scenario_from_dict({"kind": "pumping", "nodes": 2, "capacity": 1,
    ...                          "states": [{"prob": 1.0, "skr": [[0, 3], [3, 0]]}]})
    >>> sc.skr.tolist()
    [[3.0]]
    """
    check_keys(data, _KEYS)
    nodes = require(data, "nodes")
    if isinstance(nodes, bool) or not isinstance(nodes, int) or nodes < 2:
        raise ScenarioError("nodes", nodes, "must be an integer >= 2")
    physical = _PHYSICAL_KEYS & set(data)
    if physical and "states" in data:
        raise ScenarioError(sorted(physical)[0], data[sorted(physical)[0]],
                            'give either "states" (SKR matrices) or "distance_km" + "qber", not both')
    if physical:
        return _from_physical(data, nodes)
    states = require(data, "states")
    if not isinstance(states, list) or not states:
        raise ScenarioError("states", states, "must be a non-empty list of {\"prob\": p, \"skr\": matrix}")
    probs, skr = [], []
    for c, st in enumerate(states):
        if not isinstance(st, dict):
            raise ScenarioError(f"states[{c}]", st, "must be an object {\"prob\": p, \"skr\": matrix}")
        check_keys(st, {"prob", "skr"}, where=f"states[{c}].")
        p = require(st, "prob", where=f"states[{c}].")
        if isinstance(p, bool) or not isinstance(p, (int, float)):
            raise ScenarioError(f"states[{c}].prob", p, "must be a number")
        probs.append(float(p))
        skr.append(matrix_to_pairs(require(st, "skr", where=f"states[{c}]."), nodes, f"states[{c}].skr"))
    return PumpingScenario(nodes, require(data, "capacity"), skr, probs, **_common_options(data))


def _common_options(data: dict) -> dict:
    factor = None
    sharing = data.get("sharing")
    if sharing is not None and sharing != "independent":
        if not isinstance(sharing, dict):
            raise ScenarioError("sharing", sharing, 'must be "independent" or {"per_count_factor": [...]}')
        check_keys(sharing, {"per_count_factor"}, where="sharing.")
        factor = require(sharing, "per_count_factor", where="sharing.")
    channel = data.get("channel")
    return dict(per_count_factor=factor, topologies=data.get("topologies", AT_MOST_K), weights=data.get("weights"),
                alpha=data.get("alpha", 1.0), channel=channel_from_dict(channel) if channel is not None else None,
                name=data.get("name", "pumping"))


def _from_physical(data: dict, nodes: int) -> PumpingScenario:
    """The physical file form: distances and QBERs; SKRs from BBM92 (see from_distance_qber)."""
    distance = np.asarray(require(data, "distance_km"), dtype=float)
    if distance.shape != (nodes, nodes):
        raise ScenarioError("distance_km", distance.shape, f"must be a {nodes}x{nodes} matrix (nodes = {nodes})")
    return from_distance_qber(distance, require(data, "qber"), require(data, "capacity"),
                              attenuation_db_per_km=data.get("attenuation_db_per_km", 0.2),
                              repetition_rate_hz=data.get("repetition_rate_hz", DEFAULT_REPETITION_RATE_HZ),
                              qber_states=data.get("qber_states"), probabilities=data.get("probabilities"),
                              **_common_options(data))


def _rates_list(scenario, rates):
    return [[i, j, float(r)] for (i, j), r in zip(scenario.pairs, rates)]


def solve_json(scenario, options: dict) -> dict:
    """``qnum solve`` for pumping: status, utility, bound, gap, rates, schedule."""
    sol = AlphaFair(scenario).solve(options.get("method", "auto"), tol=options.get("tol", 1e-6),
                                    time_limit=options.get("time_limit"))
    out = sol.to_dict()
    out["utility"] = out.pop("objective")
    out["alpha"] = "maxmin" if math.isinf(scenario.alpha) else scenario.alpha
    if sol.ok:
        out["rates"] = _rates_list(scenario, sol.values["rate_vector"])
        out["schedule"] = sol.values["schedule"].to_list()
    return out


def simulate_json(scenario, policy: str, options: dict) -> dict:
    """``qnum simulate`` for pumping: final averages, their utility, pump counts."""
    trace = simulate(scenario, policy, options.get("slots", 100_000), seed=options.get("seed", 0),
                     beta=options.get("beta"))
    alpha = scenario.alpha
    return {"status": "ok", "policy": policy, "slots": trace.slots,
            "step": "cumulative average" if trace.beta is None else f"constant beta={trace.beta}",
            "alpha": "maxmin" if math.isinf(alpha) else alpha,
            "utility": total_utility(trace.final, alpha, scenario.weights),
            "averages": _rates_list(scenario, trace.final),
            "pumped_slots": [[i, j, int(n)] for (i, j), n in zip(scenario.pairs, trace.pumped_counts)],
            "seconds": trace.seconds}


# -- the built-in benchmark -----------------------------------------------------------------

def bench_instances() -> list[PumpingScenario]:
    """The PF paper's studies: Table I/II network (fixed, 3-state i.i.d., perturbed QBER;
    K = 2 stand-in) and the 4-node example (stand-in numbers)."""
    return [table_i(2, "fixed"), table_i(2, "iid3"), table_i(2, "perturbed"), four_node_example()]


def round_robin_target(scenario) -> PumpingScenario | None:
    """Scenario whose PF optimum is RR-PS's limit (independent SKRs only).

    RR-PS ignores the channel state, so it time-shares state-blindly: rates
    ``y_e s̄_e`` with ``s̄`` the mean SKR. Its rule is the gradient rule of
    ``Σ_e (1/s̄_e) log r_e`` over that region, i.e. one state with SKR ``s̄`` and
    weights ``1/s̄``.
    """
    if not scenario.independent or scenario.topologies != AT_MOST_K:
        return None
    mean = scenario.mean_skr
    weights = np.where(mean > 0, 1.0 / np.where(mean > 0, mean, 1.0), 0.0)
    return scenario.replace(skr=mean[None, :], probabilities=[1.0], weights=weights, channel=None, alpha=1.0)


def bench_rows(options: dict) -> list[dict]:
    """Optimum vs PF / greedy / RR on every built-in instance (rows in the bench format)."""
    slots = int(options.get("slots", 100_000))
    seed = options.get("seed", 1)
    out_dir = options.get("out")
    rows = []
    for sc in bench_instances():
        realization = sc.channel.realize(sc, slots, seed)
        # The optimum over the states the runs actually see (their empirical
        # frequencies): for i.i.d. channels this tends to the stationary optimum, for the
        # perturbed-QBER process it is the hindsight optimum of the realized epochs.
        target = sc.with_states(realization.skr, realization.frequencies()) \
            if sc.channel.name == "perturbed-qber" else sc
        t0 = time.perf_counter()
        opt = AlphaFair(target, alpha=1.0).solve()
        rows.append(bench_row(KIND, sc.name, "optimum", opt.status, objective=opt.objective, bound=opt.bound,
                              gap_to_optimum=0.0, seconds=time.perf_counter() - t0, rate_distance=0.0,
                              total_rate=float(np.sum(opt.values["rate_vector"])),
                              min_rate=float(np.min(opt.values["rate_vector"])), slots=None,
                              relative_gap=opt.relative_gap, solver=opt.solver))
        reports = {}
        for policy in ("pf", "greedy", "rr"):
            trace = simulate(sc, policy, slots, realization=realization)
            rep = compare(trace, opt, alpha=1.0)
            reports[policy] = rep
            own = _own_utility_gap(sc, target, policy, trace)
            rows.append(bench_row(KIND, sc.name, policy, "ok", objective=float(rep.utility[-1]), bound=None,
                                  gap_to_optimum=rep.final_gap, seconds=trace.seconds,
                                  rate_distance=rep.final_rate_distance, total_rate=float(np.sum(trace.final)),
                                  min_rate=float(np.min(trace.final)), slots=slots, own_utility_gap=own))
        if out_dir:
            _plot_instance(sc, reports, opt, out_dir)
    return rows


def _own_utility_gap(scenario, target, policy, trace):
    """Relative gap of a policy to the optimum of its own utility (None if not defined)."""
    if policy == "pf":
        return None
    if policy == "greedy":
        best = AlphaFair(target, alpha=0.0).solve()
        got = float(np.sum(trace.final * target.weights))
        return (best.objective - got) / best.objective if best.objective else None
    rr = round_robin_target(target)
    if rr is None:
        return None
    best = AlphaFair(rr).solve()
    got = total_utility(trace.final, 1.0, rr.weights)
    return (best.objective - got) / abs(best.objective)


def _plot_instance(scenario, reports, opt, out_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
    for policy, rep in reports.items():
        ax[0].semilogx(rep.times, rep.utility, label={"pf": "PF-PS", "greedy": "G-PS", "rr": "RR-PS"}[policy])
        ax[1].loglog(rep.times, np.maximum(rep.rate_distance, 1e-12), label=policy)
    ax[0].axhline(opt.objective, color="k", ls="--", lw=1, label="PF optimum")
    ax[0].set_xlabel("slot")
    ax[0].set_ylabel("Σ log r̄ (bit/s)")
    ax[0].set_title(f"{scenario.name}: log-sum of average SKRs")
    ax[1].set_xlabel("slot")
    ax[1].set_ylabel("‖r̄ − r*‖ / ‖r*‖")
    ax[1].set_title("distance to the PF optimum")
    for a in ax:
        a.grid(True, which="both", alpha=0.3)
        a.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, f"pumping-{scenario.name}.png"), dpi=110)
    plt.close(fig)

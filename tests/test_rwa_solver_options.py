"""The rwa ILP methods' solver options (solver, export), their logging, and the Table-3 bench structure."""

import logging

import pytest

import qnum
from qnum.errors import InputError, OptionError
from qnum.families.rwa import bench_instances, bench_metrics
from qnum.models.rwa import checked_requests
from qnum.networks.optical import dser_network, network_from_dict
from qnum.networks.rwa import RWAScenario
from qnum.solvers.rwa.dser import OnlineRouter
from qnum.solvers.rwa.milp import available_solvers


@pytest.fixture(scope="module")
def scenario():
    return qnum.load_scenario(qnum.data_path("rwa/dser-wss-os.json"))


def _highspy_objective(path):
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h.getInfo().objective_function_value


@pytest.mark.parametrize("method", ["all-paths", "k-paths"])
@pytest.mark.parametrize("ext", ["mps", "lp"])
def test_exported_model_resolved_by_highspy_gives_the_served_count(scenario, tmp_path, method, ext):
    path = tmp_path / f"rwa.{ext}"
    sol = qnum.solve(scenario, method, export=str(path))
    assert path.exists() and (tmp_path / f"rwa.stage2.{ext}").exists()
    # stage 1 maximizes the served count: HiGHS on the file alone finds the same optimum (the sense
    # may be written as a minimization of the negated objective, hence abs)
    assert abs(_highspy_objective(path)) == pytest.approx(sol.values["served"], abs=1e-9)
    assert sol.values["served"] == 3


def test_exported_stage2_bounds_the_all_path_objective(scenario, tmp_path):
    path = tmp_path / "m.mps"
    sol = qnum.solve(scenario, export=str(path))
    # the stage-2 model is the relaxation of module allpaths in units of its rate scale: its optimum
    # times the scale is the bound, which the certified objective meets (tol 1e-6)
    stage2 = abs(_highspy_objective(tmp_path / "m.stage2.mps"))
    assert stage2 > 0
    assert sol.bound >= sol.objective


@pytest.mark.parametrize("bad, field", [("model.txt", "export"), ("/no/such/dir/m.mps", "export")])
def test_export_refused_before_solving(scenario, bad, field):
    with pytest.raises(OptionError, match=field):
        qnum.solve(scenario, export=bad)


def test_solver_option_other_interface_same_optimum(scenario):
    assert {"appsi_highs", "highs"} <= set(available_solvers())
    a = qnum.solve(scenario)
    b = qnum.solve(scenario, solver="highs")
    assert b.solver == "all-paths (highs)" and str(b.status) == "optimal"
    assert b.values["served"] == a.values["served"]
    assert b.objective == pytest.approx(a.objective, rel=1e-6)
    k = qnum.solve(scenario, "k-paths", solver="highs")
    assert k.values["served"] == a.values["served"]


@pytest.mark.parametrize("name", ["gurobi", "no-such-solver"])
def test_unavailable_solver_refused_naming_the_available_ones(scenario, name):
    with pytest.raises(OptionError) as err:
        qnum.solve(scenario, solver=name)
    assert name in str(err.value) and "appsi_highs" in str(err.value)


def test_solver_option_declared_for_the_ilp_methods_only():
    from qnum.families.rwa import METHODS

    for method in ("auto", "all-paths", "k-paths"):
        assert {"solver", "export"} <= {o.name for o in METHODS[method].solver_options}


def test_all_paths_logs_model_size_and_stages(scenario, caplog):
    with caplog.at_level(logging.INFO, logger="qnum.solvers.rwa.allpaths"):
        qnum.solve(scenario)
    text = caplog.text
    assert "stage 1 model built:" in text and "variables" in text and "constraints" in text
    assert "stage 1 (served): optimal, objective 3.0, bound 3.0" in text
    assert "stage 2 round 1 (total): optimal" in text


def test_reversed_user_pair_is_the_same_connection():
    net = network_from_dict(dser_network("WSS", "WSS", n_pairs=2))
    with pytest.raises(InputError, match="unordered"):
        checked_requests(net, [("u1", "u3"), ("u3", "u1")])
    router = OnlineRouter(net, "dser")
    router.add(("u1", "u3"))
    with pytest.raises(InputError, match="already active"):
        router.add(("u3", "u1"))


def test_bench_reports_table3_structure():
    """DSER above FRFS in key rate with the same connections on cases 1-4, equal on case 5."""
    for name, sc in bench_instances().items():
        if not name.startswith("dser-case"):
            continue
        dser, frfs = (bench_metrics(sc, qnum.simulate(sc, p)) for p in ("dser", "frfs"))
        assert dser["served"] == frfs["served"]
        assert frfs["channel_pairs"] == frfs["served"]          # Li et al.: one preset pair each
        if name.startswith("dser-case5"):
            assert dser["total_key_rate"] == pytest.approx(frfs["total_key_rate"], rel=1e-12)
        else:
            assert dser["total_key_rate"] > 1.5 * frfs["total_key_rate"]


def test_fig11_structure_case3():
    """Competition lowers the first request, a delete raises a queued user, a new request takes the surplus."""
    from qnum.networks.rwa import dser_sequence
    from qnum.solvers.rwa.dser import run_events

    net = network_from_dict(dser_network(case=3, n_pairs=4))
    _, recs = run_events(net, dser_sequence(1), "dser")
    rate = [{u: a["key_rate"] for u, a in r["allocation"].items()} for r in recs]
    first = [r[("u1", "u3")] for r in rate[:4]]
    assert all(b < a for a, b in zip(first, first[1:]))
    assert [r["case"] for r in recs[1:4]] == ["competition"] * 3
    assert rate[4][("u5", "u7")] > rate[3][("u5", "u7")]
    assert rate[5][("u2", "u4")] > 0 and rate[5][("u5", "u7")] < rate[4][("u5", "u7")]


def test_scenario_with_reversed_pair_solve_refused():
    sc = RWAScenario.from_dict({"kind": "rwa", "builder": {"case": 3, "n_pairs": 2},
                                "events": [{"op": "add", "users": ["u1", "u3"]}]})
    net = sc.net
    with pytest.raises(InputError):
        checked_requests(net, [("u1", "u3"), ("u1", "u3")])


def test_reader_treats_a_reversed_pair_as_the_same_connection():
    """An add of (u3, u1) while (u1, u3) is active is refused when the file is read; a delete may name either order."""
    from qnum.networks.rwa import RWAScenario

    data = bench_instances()["dser-case1-seq1"].to_dict()
    add = {"t": 0.0, "op": "add", "users": ["u1", "u3"], "qos": 0.0}
    data["events"] = [add, {**add, "t": 1.0, "users": ["u3", "u1"]}]
    with pytest.raises(InputError, match="unordered") as e:
        RWAScenario.from_dict(data)
    assert e.value.field == "events[1].users"
    data["events"] = [add, {"t": 1.0, "op": "delete", "users": ["u3", "u1"]}]
    events = RWAScenario.from_dict(data).to_dict()["events"]
    assert [tuple(ev["users"]) for ev in events] == [("u1", "u3"), ("u1", "u3")]

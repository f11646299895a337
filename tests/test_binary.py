"""The .npz scenario form: the same scenario as its JSON file, and hostile archives refused by name."""

import subprocess
import sys
import zipfile

import numpy as np
import pytest

import qnum
from qnum.errors import ScenarioError
from qnum.networks.binary import write_npz

SHIPPED = ["pumping/table_i_perturbed.json", "pumping/four_node.json", "qnum/nsfnet-20.json",
           "mqce/square-30.json", "rwa/dser-wss-os.json"]


@pytest.mark.parametrize("name", SHIPPED)
def test_npz_reads_back_the_same_scenario(tmp_path, name):
    sc = qnum.load_scenario(qnum.data_path(name))
    path = tmp_path / "s.npz"
    write_npz(sc.to_dict(), path, min_numbers=1)
    again = qnum.load_scenario(path)
    assert type(again) is type(sc) and again.to_dict() == sc.to_dict()


def test_cli_solves_an_npz_file_like_its_json(tmp_path):
    sc = qnum.load_scenario(qnum.data_path("pumping/table_i_perturbed.json"))
    path = tmp_path / "s.npz"
    write_npz(sc.to_dict(), path, min_numbers=1)
    out = [subprocess.run([sys.executable, "-m", "qnum", "solve", str(p), "--json"], capture_output=True,
                          text=True, check=True).stdout
           for p in (path, qnum.data_path("pumping/table_i_perturbed.json"))]
    import json

    a, b = (json.loads(o) for o in out)
    assert a["objective"] == pytest.approx(b["objective"], rel=1e-12)


def test_pickled_or_non_finite_arrays_are_refused(tmp_path):
    sc = qnum.load_scenario(qnum.data_path("mqce/square-30.json"))
    path = tmp_path / "s.npz"
    write_npz(sc.to_dict(), path, min_numbers=1)
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if n != "scenario.json.npy"]
    assert names, "write_npz stored no array"
    arrays = dict(np.load(path))
    key = names[0][:-len(".npy")]
    bad = {**arrays, key: np.full_like(arrays[key], np.nan, dtype=float)}
    np.savez(tmp_path / "nan.npz", **bad)
    with pytest.raises(ScenarioError):
        qnum.load_scenario(tmp_path / "nan.npz")
    obj = {**arrays, key: np.array([{"x": 1}], dtype=object)}
    np.savez(tmp_path / "obj.npz", **obj)
    with pytest.raises(ScenarioError):
        qnum.load_scenario(tmp_path / "obj.npz")

"""Optical network validation, Tell-PS and lock invariants (hypothesis)."""

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qnum.errors import ScenarioError
from qnum.networks.optical import (
    LockState,
    can_lock,
    channel_frequency_THz,
    dser_network,
    lock,
    network_from_dict,
    tell_ps,
    unlock,
)


def test_itu_grid_centre():
    assert channel_frequency_THz(0) == pytest.approx(193.40)
    assert channel_frequency_THz(3, centre_THz=193.1) == pytest.approx(193.4)


@pytest.mark.parametrize("mutate,field", [
    (lambda d: d["devices"]["f0"].update(type="ROUTER"), "devices.f0.type"),
    (lambda d: d["links"].append({"a": ["f0", 9], "b": ["u1", 0]}), "links[13].a"),
    (lambda d: d["links"].append({"a": ["nope", 0], "b": ["u1", 0]}), "links[13].a"),
    (lambda d: d["devices"]["f0"].update(loss_dB=[[[1.0]]]), "devices.f0.loss_dB"),
    (lambda d: d["links"].append({"a": ["f3", 1], "b": ["mux", 3]}), "links[13].a"),   # f3 port 1 in two fibres
    (lambda d: d["links"][2].update(length_km=-1.0), "links[2].length_km"),
    (lambda d: d["links"][2].update(dB_per_km="x"), "links[2].dB_per_km"),
    (lambda d: d["links"][2].update(a="f0"), "links[2].a"),
    (lambda d: d["devices"]["f0"].update(il_dB=-2), "devices.f0.il_dB"),
    (lambda d: d["devices"]["f0"].update(colour="red"), "devices.f0.colour"),
    (lambda d: d["devices"].update(f9=[1]), "devices.f9"),
    (lambda d: d.update(n_pairs=True), "network.n_pairs"),
    (lambda d: d.update(n_pairs=10 ** 6), "network.n_pairs"),
    (lambda d: d.update(links={}), "network.links"),
    (lambda d: d["devices"][d["source"]].update(ports=2), None),   # a second source port would be unreachable
])
def test_bad_network_names_item(mutate, field):
    d = dser_network("WSS", "OS", n_pairs=2)
    mutate(d)
    with pytest.raises(ScenarioError) as e:
        network_from_dict(d)
    assert e.value.field == (field or f"devices.{d['source']}.ports")


def test_tell_ps_respects_tdm_and_wdm_locks():
    net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
    p1 = tell_ps(net, "u1")
    assert [h[0] for h in p1["hops"]] == ["mux", "f0"]
    locks = LockState()
    lock(net, locks, p1["hops"], [1])
    # u2 hangs off the same switch f0: its port 0 is held by the u1 crossconnect
    assert tell_ps(net, "u2", locks) is None
    # u3 on f1 still reachable, but WSS channel +1 on mux port 0 is masked
    p3 = tell_ps(net, "u3", locks)
    assert p3 is not None and 1 not in p3["channels"] and -1 in p3["channels"]
    # a second user of the same crossconnect shares the port (counted)
    lock(net, locks, p1["hops"], [2])
    assert locks.tdm[("f0", 0)][1] == 2
    unlock(net, locks, p1["hops"], [2])
    unlock(net, locks, p1["hops"], [1])
    assert locks.snapshot() == LockState().snapshot()
    assert tell_ps(net, "u2", locks) is not None


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 7), st.sampled_from([-2, -1, 1, 2])),
                max_size=30))
def test_random_lock_sequences_never_double_allocate(ops):
    net = network_from_dict(dser_network("WSS", "OS", n_pairs=2))
    locks, held = LockState(), []
    for add, u, off in ops:
        if add:
            p = tell_ps(net, f"u{u + 1}", locks)
            if p is None or off not in p["channels"]:
                continue
            before = copy.deepcopy(locks.snapshot())
            assert can_lock(net, locks, p["hops"], [off])
            lock(net, locks, p["hops"], [off])
            held.append((p["hops"], [off], before))
        elif held:
            hops, offs, before = held.pop()
            unlock(net, locks, hops, offs)
            assert locks.snapshot() == before  # LIFO unlock restores the state
        # invariant: each (WDM port, channel) by one path; each TDM port one crossconnect
        seen = {}
        for hops, offs, _ in held:
            for dev, i, o in hops:
                if net.devices[dev].mux == "WDM":
                    for p_ in (i, o):
                        for c in offs:
                            assert (dev, p_, c) not in seen
                            seen[(dev, p_, c)] = 1
                elif net.devices[dev].mux == "TDM":
                    for p_ in (i, o):
                        xc = seen.setdefault((dev, p_), (i, o))
                        assert xc == (i, o)

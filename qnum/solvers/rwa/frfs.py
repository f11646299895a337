"""FRFS baseline (Li et al. 2022): first request first service, lowest-loss path,
first free channel pairs up to the cap, no QoS queue, no partial or competition logic.

Examples
--------
>>> from qnum.networks.optical import dser_network, network_from_dict
>>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=4))
>>> r = frfs_router(net)
>>> r.add(("u1", "u3"))["case"], len(r.queue)
('satisfaction', 0)
"""

from qnum.solvers.rwa.dser import OnlineRouter, run_events


def frfs_router(net, physics=None, n_cap=None) -> OnlineRouter:
    """An :class:`~qnum.solvers.rwa.dser.OnlineRouter` running the FRFS policy."""
    return OnlineRouter(net, "frfs", physics, n_cap)


def run_frfs(net, events, physics=None, n_cap=None):
    """:func:`qnum.solvers.rwa.dser.run_events` with the FRFS policy."""
    return run_events(net, events, "frfs", physics, n_cap)

"""FRFS baselines (Li et al. 2022 as the DSER paper describes them) on the shared online engine.

``frfs``: first request first service, Tell-PS lowest-loss paths, a single preset channel
pair per request, no queue ("providing users the lowest loss path when presetting a single
channel ... only achieves the maximum connections"). ``frfs-multichannel``: qnum's greedy
variant, the first free pairs up to the optimal count (or ``n_cap``). See
:mod:`qnum.solvers.rwa.dser`.

Examples
--------
>>> from qnum.networks.optical import dser_network, network_from_dict
>>> net = network_from_dict(dser_network("WSS", "OS", n_pairs=4))
>>> r = frfs_router(net)
>>> rec = r.add(("u1", "u3"))
>>> rec["case"], rec["pairs"], r.queue
('served', [(1, 0)], [])
"""

from qnum.solvers.rwa.dser import OnlineRouter, run_events


def frfs_router(net, physics=None, n_cap=None, multichannel: bool = False) -> OnlineRouter:
    """An :class:`~qnum.solvers.rwa.dser.OnlineRouter` running FRFS (or ``frfs-multichannel``)."""
    return OnlineRouter(net, "frfs-multichannel" if multichannel else "frfs", physics, n_cap)


def run_frfs(net, events, physics=None, n_cap=None, multichannel: bool = False):
    """:func:`qnum.solvers.rwa.dser.run_events` with FRFS (or ``frfs-multichannel``)."""
    return run_events(net, events, "frfs-multichannel" if multichannel else "frfs", physics, n_cap)

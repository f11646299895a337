"""A worked example of your own RWA router: first fit on the lowest-loss candidate paths.

How an rwa policy works (:data:`qnum.families.rwa.POLICY_PROTOCOL`): qnum replays the
scenario's add/delete events in order. Before the first one it calls ``reset(setup)`` with
the network, the channel-pair cap, the physics and the objective (not the future events).
At every event it calls ``decide(observation)``; the observation holds the event (``op``,
``users``, ``qos``), the network, qnum's current allocation (a copy; on a delete the
leaving request is already removed), the active requests and their demands, and helpers:
``candidate_paths(user, k)`` (lowest-loss port paths with their loss per channel offset),
``free_channel_pairs()``, ``problems(allocation)`` (qnum's own validity check) and
``key_rate(users, entry)``. The policy returns the complete allocation of the active
requests, ``{(a, b): {"path_a": hops, "path_b": hops, "channel_pairs": [(k, o), ...]}}``;
requests left out are unserved. qnum validates it — a channel pair booked twice, a port
or (port, channel) conflict, a path that does not reach the user, the cap — and stops the
run with a :class:`~qnum.errors.PolicyError` naming the event and the resource.

:class:`FirstFitRouter` keeps every existing allocation and, at each event, tries to serve
each unserved active request in arrival order: for each pair of its users' lowest-loss
candidate paths it adds free channel pairs one at a time (first fit, either orientation)
while the allocation stays valid, up to ``max_pairs``.

>>> import qnum
>>> from qnum.examples.rwa_policy import FirstFitRouter
>>> sc = qnum.load_scenario(qnum.data_path("rwa/dser-wss-os.json"))
>>> tr = qnum.simulate(sc, FirstFitRouter())
>>> sol = qnum.solve(sc)
>>> tr.policy, tr.feasible, tr.final["served"], sol.values["served"]
('first-fit', True, 2, 3)
>>> rep = qnum.compare(tr, sol)            # gap in the scenario's objective (total key rate)
>>> rep.time_axis, len(rep.times), bool(rep.final_gap > 0)
('event', 6, True)
"""

from __future__ import annotations


class FirstFitRouter:
    """First-fit router: lowest-loss candidate paths, first free channel pairs, keeps allocations.

    Parameters
    ----------
    max_pairs : int
        Channel pairs per request at most (also bounded by the scenario's ``n_cap``).
    k_paths : int
        Candidate paths per user tried, lowest loss first.

    Examples
    --------
    >>> import qnum
    >>> sc = qnum.load_scenario(qnum.data_path("rwa/dser-wss-os.json"))
    >>> tr = qnum.simulate(sc, FirstFitRouter(max_pairs=1))
    >>> max(len(pairs) for pairs in tr.records[-1]["channel_pairs"].values())
    1
    """

    name = "first-fit"

    def __init__(self, max_pairs: int = 2, k_paths: int = 3):
        self.max_pairs, self.k_paths = max_pairs, k_paths
        self.cap = max_pairs

    def reset(self, setup) -> None:
        """Take the scenario's cap into account before the first event."""
        self.cap = self.max_pairs if setup.n_cap is None else min(self.max_pairs, setup.n_cap)

    def decide(self, obs) -> dict:
        """The allocation after this event: existing ones kept, unserved requests first-fitted."""
        alloc = dict(obs.allocation)
        for users in obs.active:
            if users not in alloc:
                entry = self._fit(obs, alloc, users)
                if entry is not None:
                    alloc[users] = entry
        return alloc

    def _fit(self, obs, alloc, users):
        for hops_a, loss_a in obs.candidate_paths(users[0], self.k_paths):
            for hops_b, loss_b in obs.candidate_paths(users[1], self.k_paths):
                entry = {"path_a": hops_a, "path_b": hops_b, "channel_pairs": []}
                for k in obs.free_channel_pairs():
                    if len(entry["channel_pairs"]) >= self.cap:
                        break
                    for o in (0, 1):
                        off_a = k if o == 0 else -k
                        if loss_a[off_a] == float("inf") or loss_b[-off_a] == float("inf"):
                            continue
                        trial = {**entry, "channel_pairs": entry["channel_pairs"] + [(k, o)]}
                        if not obs.problems({**alloc, users: trial}):
                            entry = trial
                            break
                if entry["channel_pairs"]:
                    return entry
        return None

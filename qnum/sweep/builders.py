"""Scenario builders a sweep's ``base.builder`` can name, per family.

A builder is a function of keyword arguments returning a scenario dict in the family's
file form. Adding a family to the sweep engine is one entry in :data:`BUILDERS` (or a
``SWEEP_BUILDERS`` dict in the family module); families without builders still sweep
over scenario files and inline scenarios.
"""

from __future__ import annotations


def _pumping_table_i(capacity: int = 2, channel: str = "fixed", seed: int = 2025, alpha=1.0) -> dict:
    from qnum.networks.pumping import table_i

    return table_i(capacity, channel, seed=seed, alpha=alpha).to_dict()


def _pumping_random(nodes: int = 5, capacity: int = 2, states: int = 1, seed: int = 0, side_km: float = 100.0,
                    alpha=1.0) -> dict:
    from qnum.networks.pumping import random_network

    return random_network(nodes, capacity, states, seed=seed, side_km=side_km, alpha=alpha).to_dict()


#: family bench name -> builder name -> function(**kwargs) -> scenario dict
BUILDERS = {
    "pumping": {"table-i": _pumping_table_i, "random": _pumping_random},
}


def builders_for(family_name: str) -> dict:
    """Builders of a family: :data:`BUILDERS` entries plus the module's ``SWEEP_BUILDERS``.

    Examples
    --------
    >>> sorted(builders_for("pumping"))
    ['random', 'table-i']
    """
    from qnum.families import family

    out = dict(BUILDERS.get(family_name, {}))
    out.update(getattr(family(family_name), "SWEEP_BUILDERS", {}))
    return out

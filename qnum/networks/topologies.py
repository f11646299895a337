"""Larger real topologies for QNUM scenarios: Germany50 (50 nodes, 88 links).

Source: SNDlib, instance ``germany50`` (S. Orlowski, R. Wessäly, M. Pióro, A. Tomaszewski,
"SNDlib 1.0 — Survivable Network Design Library", Networks 55(3), 2010;
http://sndlib.zib.de). SNDlib gives each node's longitude and latitude and the undirected
links; qnum takes a link's length as the great-circle distance between its end nodes (mean
Earth radius 6371 km), which gives 25.9 km (Darmstadt–Frankfurt) to 252.2 km (Norden–Wesel),
mean 100.7 km (published tables of the instance, computed on the ellipsoid, differ by at most
0.1 km).
"""

from __future__ import annotations

import math

import networkx as nx

from qnum.errors import ScenarioError
from qnum.networks.repeater import RepeaterScenario, draw_pairs, from_graph

EARTH_RADIUS_KM = 6371.0

# (name, longitude, latitude) as in SNDlib's germany50 NODES section
GERMANY50_NODES = [
    ("Aachen", 6.04, 50.76), ("Augsburg", 10.90, 48.33), ("Bayreuth", 11.59, 49.93),
    ("Berlin", 13.39, 52.52), ("Bielefeld", 8.50, 52.04), ("Braunschweig", 10.55, 52.28),
    ("Bremen", 8.85, 53.11), ("Bremerhaven", 8.58, 53.54), ("Chemnitz", 12.93, 50.84),
    ("Darmstadt", 8.65, 49.89), ("Dortmund", 7.45, 51.51), ("Dresden", 13.73, 51.03),
    ("Duesseldorf", 6.77, 51.25), ("Erfurt", 11.04, 50.98), ("Essen", 7.02, 51.46),
    ("Flensburg", 9.45, 54.77), ("Frankfurt", 8.71, 50.12), ("Freiburg", 7.80, 47.98),
    ("Fulda", 9.69, 50.56), ("Giessen", 8.67, 50.57), ("Greifswald", 13.40, 54.09),
    ("Hamburg", 9.99, 53.57), ("Hannover", 9.72, 52.38), ("Kaiserslautern", 7.75, 49.43),
    ("Karlsruhe", 8.41, 49.01), ("Kassel", 9.51, 51.32), ("Kempten", 10.32, 47.72),
    ("Kiel", 10.12, 54.34), ("Koblenz", 7.52, 50.40), ("Koeln", 6.87, 50.94),
    ("Konstanz", 9.18, 47.66), ("Leipzig", 12.38, 51.34), ("Magdeburg", 11.64, 52.14),
    ("Mannheim", 8.49, 49.49), ("Muenchen", 11.57, 48.15), ("Muenster", 7.60, 51.97),
    ("Norden", 7.21, 53.60), ("Nuernberg", 11.03, 49.57), ("Oldenburg", 8.21, 53.11),
    ("Osnabrueck", 8.03, 52.28), ("Passau", 13.46, 48.57), ("Regensburg", 12.09, 49.00),
    ("Saarbruecken", 7.03, 49.23), ("Schwerin", 11.45, 53.55), ("Siegen", 8.03, 50.91),
    ("Stuttgart", 9.10, 48.74), ("Trier", 6.68, 49.75), ("Ulm", 9.99, 48.40),
    ("Wesel", 6.37, 51.39), ("Wuerzburg", 9.97, 49.78),
]

# SNDlib's 88 undirected links, by index into GERMANY50_NODES
GERMANY50_LINKS = [
    (0, 29), (0, 48), (0, 46), (1, 47), (1, 34), (1, 49), (2, 31), (2, 8), (2, 37), (3, 31),
    (3, 11), (3, 43), (3, 32), (3, 20), (4, 35), (4, 44), (4, 22), (4, 5), (5, 32), (5, 21),
    (5, 22), (5, 25), (6, 38), (6, 7), (6, 22), (7, 15), (8, 11), (8, 13), (9, 16), (9, 33),
    (9, 23), (10, 14), (10, 35), (10, 44), (10, 25), (11, 31), (11, 13), (12, 14), (12, 29),
    (13, 31), (13, 25), (13, 49), (14, 48), (15, 27), (16, 28), (16, 19), (16, 18), (17, 24),
    (17, 30), (18, 25), (18, 19), (18, 49), (19, 44), (19, 25), (20, 43), (21, 43), (21, 27),
    (21, 22), (22, 39), (23, 28), (23, 42), (23, 24), (24, 33), (24, 42), (24, 45), (26, 30),
    (26, 34), (27, 43), (28, 29), (28, 44), (28, 46), (30, 45), (31, 32), (32, 43), (34, 40),
    (34, 37), (34, 41), (35, 39), (36, 48), (36, 38), (37, 49), (37, 41), (38, 48), (38, 39),
    (40, 41), (42, 46), (45, 47), (45, 49),
]


def great_circle_km(lon1, lat1, lon2, lat2) -> float:
    """Haversine distance in km between two (longitude, latitude) points in degrees, on a sphere of
    radius :data:`EARTH_RADIUS_KM` (also :func:`qnum.networks.topology.load_topology`'s distance).

    Examples
    --------
    >>> round(great_circle_km(8.65, 49.89, 8.71, 50.12), 2)      # Darmstadt - Frankfurt
    25.93
    >>> round(great_circle_km(0.0, 0.0, 90.0, 0.0), 3)          # a quarter of the equator: pi R / 2
    10007.543
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def germany50_graph(length_scale: float = 1.0) -> nx.Graph:
    """Germany50 as a graph: nodes by city name, edges with ``length_km`` and ``name``.

    Examples
    --------
    >>> g = germany50_graph()
    >>> g.number_of_nodes(), g.number_of_edges()
    (50, 88)
    >>> round(g["Norden"]["Wesel"]["length_km"], 1)
    252.2
    """
    if not length_scale > 0:
        raise ScenarioError("length_scale", length_scale, "must be > 0")
    g = nx.Graph()
    for i, j in GERMANY50_LINKS:
        (a, lon1, lat1), (b, lon2, lat2) = GERMANY50_NODES[i], GERMANY50_NODES[j]
        g.add_edge(a, b, length_km=great_circle_km(lon1, lat1, lon2, lat2) * length_scale, name=f"{a}-{b}")
    return g


def germany50(n_pairs=100, seed=0, length_scale=0.01, utility="distillable") -> RepeaterScenario:
    """Germany50 with ``n_pairs`` seeded distinct user pairs on shortest routes.

    Link lengths are the great-circle spans times ``length_scale`` (1/100 by default, the
    stand-in :func:`qnum.networks.repeater.nsfnet` uses too, so that the longest routes
    still carry pairs).

    Examples
    --------
    >>> sc = germany50(100, seed=1)
    >>> len(sc.routes), len(sc.link_names) <= 88
    (100, True)
    """
    g = germany50_graph(length_scale)
    nodes = sorted(g)
    pairs = [(a, b) for i, a in enumerate(nodes) for b in nodes[i + 1:]]
    return from_graph(g, draw_pairs(pairs, n_pairs, seed), utility=utility)

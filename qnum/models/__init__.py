"""Declarative offline models: scenario -> formulation you can inspect, then solve().

One module per family.
"""

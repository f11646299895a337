"""Everything that solves: offline backends and the online algorithms.

One module (or a few) per family; shared pieces (schedules, oracles) live beside them.
"""

"""Worked examples of user policies, one per family."""

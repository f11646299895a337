"""repeater solvers."""

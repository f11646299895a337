"""pumping solvers."""

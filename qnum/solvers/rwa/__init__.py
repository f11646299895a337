"""rwa solvers."""

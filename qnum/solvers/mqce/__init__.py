"""mqce solvers."""

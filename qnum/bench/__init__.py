"""Online-versus-offline comparisons: traces, gap tables, plots, and ``qnum bench``."""

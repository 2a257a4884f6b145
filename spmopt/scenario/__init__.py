"""spmopt.scenario (being built)."""

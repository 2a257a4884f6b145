"""spmopt.territory (being built)."""

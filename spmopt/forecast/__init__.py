"""spmopt.forecast (being built)."""

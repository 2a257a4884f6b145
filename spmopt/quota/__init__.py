"""spmopt.quota (being built)."""

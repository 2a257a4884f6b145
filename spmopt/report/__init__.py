"""spmopt.report (being built)."""

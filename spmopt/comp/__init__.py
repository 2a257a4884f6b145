"""spmopt.comp (being built)."""

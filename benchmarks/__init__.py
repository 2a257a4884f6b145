"""spmopt benchmarks: ``python -m benchmarks.<area>`` prints a table with peers side by side."""

"""The parts of benchmarks/portal.py (see its docstring)."""

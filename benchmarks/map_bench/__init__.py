"""The parts of benchmarks/map.py (see its docstring)."""

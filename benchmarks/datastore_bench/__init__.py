"""The parts of benchmarks/datastore.py, one step of the run each (see its docstring)."""

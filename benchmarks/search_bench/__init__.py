"""The parts of benchmarks/search.py, one step of the run each (see its docstring).

Importing any part imports config first, which puts the snapshot of src/ first on sys.path
before anything imports tsunagu."""

from search_bench import config  # noqa: F401

"""The parts of benchmarks/load.py: the catalog a run serves, the clients, the raw SQL baseline.

Imported by load.py after it has put its snapshot of src/ first on the path.
"""

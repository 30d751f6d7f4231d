"""How each benchmark's results file becomes its part of RESULTS.md (see render_results.py)."""

"""Demo content for `tsunagu demo load`: a realistic 山口県 catalog with generated files.

Everything here is deterministic and fictional in its values (names of places are real, the
rows are not), so a fresh install can show a prefectural catalog and later features have
messy-but-realistic municipal files to work on.
"""

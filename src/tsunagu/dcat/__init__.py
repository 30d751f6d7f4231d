"""DCAT: the catalog as linked data (export, endpoints) and DCAT read back into package dicts
(parse, used by the DCAT harvester)."""

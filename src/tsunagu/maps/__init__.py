"""統合マップ: map layers of every municipality's facility data, built ahead of requests.

A layer is either a 自治体標準オープンデータセット with coordinates (every public resource that
follows it, across all organisations) or a set of datasets staff added (`map_layer`). Its points
come from the datastore tables' 緯度/経度 columns (or an uploaded GeoJSON file), are checked as
the quality checks check them (outside Japan, swapped), and are built into one GeoJSON document
with its gzip and brotli bytes and a CSV when a dataset changes (`jobs.py`), stored in
`map_layer_build`, and served from each process's memory (`store.py`) with an ETag.

Modules: `registry.py` (which layers exist), `sources.py` (which resources feed each),
`points.py` (rows → features), `builder.py` (features → stored bytes), `store.py` (per-process
copies and ETags), `jobs.py` (events → debounced rebuild), `search.py` (filters and nearest),
`actions.py` (the map_* actions).
"""

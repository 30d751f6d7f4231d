"""Reading files (CSV/TSV/XLSX/XLS/ODS/JSON/GeoJSON) into typed rows."""

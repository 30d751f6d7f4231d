"""Staff-side services that are not the catalog's core: what needs attention, the staff table and
bulk operations, many files at once, and file versions (see docs/architecture.md)."""

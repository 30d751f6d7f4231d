"""Storage backends: the relational database and the file store."""

"""Storage: the data model, the engine and its transactions, limits, schema migrations."""

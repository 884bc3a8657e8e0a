"""Storage: engines, schema and migrations, models, search, the change feed."""

"""The SQL warehouse: schema, migrations and the reads/writes of the pipeline."""

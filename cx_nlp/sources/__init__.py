"""Sources: streams that yield raw rows with a stable key and validate them into SourceRecords."""

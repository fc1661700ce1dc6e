"""The commands, each a thin caller of the pipeline: check, validate, lock, merge (import and demo live beside)."""

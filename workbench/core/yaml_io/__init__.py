"""Round-trip YAML input/output: files are edited in place, never regenerated."""

"""Data: the JSON Schemas contracts are checked against (see NOTICE)."""

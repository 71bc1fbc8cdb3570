"""Data: the official ODCS JSON Schemas, one per apiVersion (see ../NOTICE)."""

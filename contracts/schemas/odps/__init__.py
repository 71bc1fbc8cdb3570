"""Data: the official ODPS JSON Schemas, one per apiVersion (see ../NOTICE)."""

"""HTTP on the product kit: the Starlette app and routes of one product gateway."""

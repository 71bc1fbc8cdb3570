"""How values leave the gateway and the product kit: one rule each, written once.

* :mod:`gateway.values.json_form`: engine values as JSON (exact decimals, non-finite
  floats as strings), for every JSON answer and the JSON-lines stream;
* :mod:`gateway.values.moments`: what a timestamp without a zone means.

``docs/values.md`` states both rules for users.
"""

from __future__ import annotations

from gateway.values.json_form import dumps, json_value, rows_to_json, to_json
from gateway.values.moments import NaiveTime, as_utc, given_utc

__all__ = ["NaiveTime", "as_utc", "dumps", "given_utc", "json_value", "rows_to_json", "to_json"]

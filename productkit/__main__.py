"""``python -m productkit serve DIR``: the kit's own command line, without the gateway's."""

from __future__ import annotations

import sys

from productkit.cli import main

if __name__ == "__main__":
    sys.exit(main())

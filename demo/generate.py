#!/usr/bin/env python3
"""Generate the Climate Quantum demo mesh's data (and optionally load it into databases).

    python demo/generate.py [--scale N] [--out demo/data] [--seed 42] [--end-date YYYY-MM-DD]
                            [--load-postgres DSN] [--load-mariadb DSN]

Scale 1 (the default) writes a year of daily observations, about 100,000 rows in a few
seconds; ``--scale 100`` writes a century, millions of rows, in bounded memory. The data
is a function of seed, scale and end date (default: today, UTC).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `demo.datagen` importable
    sys.path.insert(0, str(ROOT))

from demo.datagen.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

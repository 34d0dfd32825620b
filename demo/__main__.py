"""`python -m demo`: run the demo (see demo/run.py) and exit with its status.

Kept separate so importing the package never starts anything.
"""

from __future__ import annotations

import sys

from demo.run import main

sys.exit(main())

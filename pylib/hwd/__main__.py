"""``python -m hwd ...``: see :mod:`hwd.cli`."""

import sys

from .cli import main

sys.exit(main())

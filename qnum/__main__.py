"""``python -m qnum``: the qnum command."""

import sys

from qnum.cli import main

sys.exit(main())

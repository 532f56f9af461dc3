"""``python -m kmervae`` is the ``kmervae`` command."""

import sys

from kmervae.cli import main

sys.exit(main())

"""``python -m minigraph``: the one place the framework calls up into the application."""

import sys

from .models.cli import main

sys.exit(main())

"""``python -m drift``."""

from drift.cli import main

raise SystemExit(main())

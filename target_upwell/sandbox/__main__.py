"""Run the sandbox command line: ``python -m target_upwell.sandbox``."""

from .cli import main

raise SystemExit(main())

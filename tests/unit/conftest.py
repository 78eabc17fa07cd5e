"""Hypothesis profiles for the unit tests: bounded and derandomized on CI, wider locally.

``ci`` keeps the suite well inside CI's time on 2 cores and gives the same examples on
every run; ``dev`` explores new examples each run. ``CI`` in the environment picks ``ci``.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", deadline=None, max_examples=50, derandomize=True, print_blob=True)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci" if "CI" in os.environ else "dev")

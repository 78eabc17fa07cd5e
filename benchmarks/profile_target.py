"""Run target-upwell under cProfile (main thread, wall-clock timer).

    python benchmarks/profile_target.py OUT.prof --config CONFIG < input.singer

``run.py --scenario profile`` uses it. The main thread does the per-record work (read,
validate, map, check, batch); the window's request threads are not in this profile, and the
main thread's times include waiting for the GIL while they run. For CPU by thread, use
``run.py --scenario profile --py-spy PATH`` (samples only the thread holding the GIL).
A CPU-time timer (``time.thread_time``) is not used: its system call per event costs more
than most of the functions it would time.
"""

from __future__ import annotations

import cProfile
import sys

from target_upwell.__main__ import SWITCH_INTERVAL, collect_less_often
from target_upwell.target import TargetUpwell

if __name__ == "__main__":
    out = sys.argv.pop(1)
    sys.setswitchinterval(SWITCH_INTERVAL)  # the process as the command sets it up
    collect_less_often()
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        TargetUpwell.cli()
    finally:
        profiler.disable()
        profiler.dump_stats(out)

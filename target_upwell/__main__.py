"""Run the target as a program: the ``target-upwell`` command and ``python -m target_upwell``.

Two settings belong to the whole process, so they are made here and nowhere else, not where
the target is imported (by tests, say):

- The cyclic collector is off while modules load, then runs less often. Importing
  singer-sdk and its dependencies makes about 50,000 objects that live as long as the
  process, and the collector would rescan them several times over, about 30 ms of each
  start; a load then makes millions of short-lived dicts and almost no cycles, and the
  default thresholds spend about a tenth of the CPU rescanning them (``collect_less_often``).
- The interpreter hands the GIL to a waiting thread after 0.5 ms instead of 5. A request
  thread whose answer has arrived then waits at most that long while the main thread maps
  records, so the next request leaves sooner (about 25 ms over 20,000 new customers at
  200 ms a request; the mapping's CPU cost did not change measurably).
"""

import gc
import sys

SWITCH_INTERVAL = 0.0005  # seconds
COLLECTOR_THRESHOLDS = (50_000, 20, 100)


def main() -> None:
    """Set up the process, then hand over to the Singer SDK's command line."""
    gc.disable()
    sys.setswitchinterval(SWITCH_INTERVAL)
    from target_upwell.target import TargetUpwell  # noqa: PLC0415 (imported with the collector off)

    collect_less_often()
    TargetUpwell.cli()


def collect_less_often() -> None:
    """Freeze what loading made, then collect rarely: a load makes almost no cycles.

    Freezing skips the full collection first, which would add 15 to 25 ms to every start:
    what is left as garbage stays, about 2,000 objects (0.5 MB), since the modules loaded
    with the collector off.
    """
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    gc.enable()


if __name__ == "__main__":
    main()

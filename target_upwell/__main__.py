"""Run the target as a program: the ``target-upwell`` command and ``python -m target_upwell``.

Two settings belong to the whole process, so they are made here and not where the target is
imported (by tests, say):

- The cyclic collector is off while modules load. Importing singer-sdk and its dependencies
  makes about 50,000 objects that live as long as the process, and the collector rescans
  them several times over, about 30 ms of each start. ``run.Run`` freezes what was loaded
  and turns the collector back on before the first record.
- The interpreter hands the GIL to a waiting thread after 0.5 ms instead of 5. A request
  thread whose answer has arrived then waits at most that long while the main thread maps
  records, so the next request leaves sooner (about 25 ms over 20,000 new customers at
  200 ms a request; the mapping's CPU cost did not change measurably).
"""

import gc
import sys

SWITCH_INTERVAL = 0.0005  # seconds


def main() -> None:
    """Set up the process, then hand over to the Singer SDK's command line."""
    gc.disable()
    sys.setswitchinterval(SWITCH_INTERVAL)
    from target_upwell.target import TargetUpwell  # noqa: PLC0415 (imported with the collector off)

    TargetUpwell.cli()


if __name__ == "__main__":
    main()

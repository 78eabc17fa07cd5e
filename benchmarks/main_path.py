"""The main thread's per-record CPU alone: target-upwell with nothing sent.

    python benchmarks/main_path.py CONFIG INPUT [RUNS]

Runs ``TargetUpwell.listen`` on INPUT in this process, RUNS times (default 3), as in a load
of new customers once the first search found nothing (the sink packs its records a chunk at
a time and makes each batch's body), with ``Window.submit`` replaced by one that settles each
batch at once: no request thread, no sandbox. The process is set up as the command sets it
up (``__main__.collect_less_often``). Prints the lowest CPU per record. Steadier than a
whole run, so it is the number to watch while changing the per-record path; see
docs/benchmarks.md.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from typing import TYPE_CHECKING

from target_upwell.__main__ import collect_less_often
from target_upwell.delivery.reconcile import Reconciler
from target_upwell.delivery.window import Window
from target_upwell.target import TargetUpwell

if TYPE_CHECKING:
    from target_upwell.delivery.batching import Batch


def _settle_at_once(self: Window, batch: Batch, *, final: bool = False) -> None:
    del final
    self._checkpoints.settle(batch.token)


def _expects_new_keys(self: Reconciler, stream: str) -> bool:
    del self, stream
    return True


def main() -> None:
    """Print the main path's lowest CPU per record over the runs."""
    config = json.loads(open(sys.argv[1], encoding="utf-8").read())  # noqa: PTH123, SIM115
    data = open(sys.argv[2], "rb").read()  # noqa: PTH123, SIM115
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    records = data.count(b'"type":"RECORD"') or data.count(b'"type": "RECORD"')
    Window.submit = _settle_at_once  # type: ignore[method-assign]
    Reconciler.expects_new_keys = _expects_new_keys  # type: ignore[method-assign]
    collect_less_often()
    best = float("inf")
    for _ in range(runs):
        target = TargetUpwell(config=config, validate_config=True)
        start = time.process_time()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
            target.listen(file_input=io.BytesIO(data))
        best = min(best, time.process_time() - start)
    print(f"main path: {best / records * 1e6:.2f} us/record, lowest of {runs} runs")


if __name__ == "__main__":
    main()

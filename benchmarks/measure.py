"""Run one command and write its own wall time, CPU time and peak RSS to a file.

    python -I -S benchmarks/measure.py RESULT_FILE COMMAND [ARG ...]

Why a launcher: on Linux a child's ``ru_maxrss`` starts at the RSS of the process that
forked it (the high-water mark is carried across ``exec``), so a child forked straight from
the benchmark would inherit the benchmark's own memory. This launcher imports almost nothing
(``-I -S``), so what its child inherits is a few MB, well below any Python program's peak.
stdin, stdout and stderr pass through to the command. The exit status is the command's.
"""

import os
import sys
import time


def main() -> int:
    """Fork, exec, wait4; write ``wall user sys maxrss_kb exit_code`` on one line."""
    result_path, command = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)  # noqa: S606 (the benchmark's own command line)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    with open(result_path, "w") as out:  # noqa: PTH123 (pathlib is not imported under -S)
        out.write(f"{wall} {usage.ru_utime} {usage.ru_stime} {usage.ru_maxrss} {code}\n")
    return code


if __name__ == "__main__":
    sys.exit(main())

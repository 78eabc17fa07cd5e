"""Benchmark target-upwell against a stock singer-sdk target and the orjson floor.

    .venv/bin/python benchmarks/run.py                      # throughput, 100k records
    .venv/bin/python benchmarks/run.py --scenario latency   # 200 ms sandbox, 20k new customers
    .venv/bin/python benchmarks/run.py --scenario limits    # 15k customers, a server limit
    .venv/bin/python benchmarks/run.py --scenario memory    # peak RSS at 100k and at 1M
    .venv/bin/python benchmarks/run.py --scenario all       # the four, in that order
    .venv/bin/python benchmarks/run.py --scenario profile   # cProfile of (a), top functions

Every program runs as a child process reading a Singer file on stdin; its CPU time and peak
RSS come from ``os.wait4`` (that child alone). The sandbox is a separate process, measured
separately. See docs/benchmarks.md for what each number means and the goals of issue 5.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import datetime as dt
import json
import os
import platform
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import psutil
import shape

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PYTHON = sys.executable
API_KEY = "bench-key"
LATENCY_MS = 200
DEFAULT_BATCH = 500
DEFAULT_WINDOW = 4

# Goals of issue 5, item 2.
GOAL_VS_STOCK = 0.10  # (a) per-record CPU <= 1/10 of (b)
GOAL_VS_FLOOR = 3.0  # (a) within 3x of (c)
GOAL_RSS_GROWTH = 1.10  # peak RSS at 1M within 10% of 100k
GOAL_EFFICIENCY = 0.80  # wall <= 125% of the ideal
GOAL_REQUESTS_PER_BATCH = 2.0


# -- machine ------------------------------------------------------------------------------


def machine_facts() -> dict[str, Any]:
    """What the numbers were measured on."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "target_upwell"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if commit and dirty:
        commit += f" + uncommitted changes in {len(dirty.splitlines())} target_upwell file(s)"
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": model,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "singer_sdk": _version("singer-sdk"),
        "orjson": _version("orjson"),
        "target_upwell_commit": commit or "unknown",
    }


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def print_machine(facts: dict[str, Any]) -> None:
    """The machine block at the top of every run."""
    print("== machine")
    print(f"  date        {facts['date']}")
    print(f"  cpu         {facts['cpu']}, {facts['cores']} cores ({facts['usable_cores']} usable)")
    print(f"  memory      {facts['memory_gb']} GiB, {facts['os']}")
    print(
        f"  python      {facts['python']}, singer-sdk {facts['singer_sdk']},"
        f" orjson {facts['orjson']}, target-upwell @ {facts['target_upwell_commit']}"
    )
    print(flush=True)


def compile_bytecode() -> None:
    """Compile target-upwell's modules ahead, as pip does when it installs a plugin.

    The dev install is editable, so nothing compiles them ahead; with PYTHONDONTWRITEBYTECODE
    set, as on the benchmark machine, every start compiled the changed ones from source
    again (about 20 modules, 20 ms), which an installed plugin never does.
    """
    compileall.compile_dir(REPO / "target_upwell", quiet=1)


# -- the sandbox --------------------------------------------------------------------------


class Sandbox:
    """A sandbox process started for the benchmark, and its admin and API endpoints."""

    def __init__(
        self, work: Path, latency_ms: int | None = None, flags: tuple[str, ...] = ()
    ) -> None:
        """Start ``target_upwell.sandbox serve`` on a free port; wait for its URL line."""
        cmd = [PYTHON, "-m", "target_upwell.sandbox", "serve", "--port", "0"]
        cmd += ["--api-key", API_KEY, "--quiet", *flags]
        if latency_ms:
            cmd += ["--latency-ms", str(latency_ms)]
        self._log = (work / "sandbox.log").open("ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._log, cwd=work)
        line = self.proc.stdout.readline().decode().strip() if self.proc.stdout else ""
        if not line.startswith("http"):
            self.stop()
            msg = f"the sandbox did not start (see {work / 'sandbox.log'})"
            raise SystemExit(msg)
        self.url = line
        self.ps = psutil.Process(self.proc.pid)

    def _call(self, method: str, path: str, body: object = None, *, key: bool = False) -> Any:  # noqa: ANN401
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        if key:
            request.add_header("Authorization", API_KEY)
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return json.loads(response.read() or b"null")

    def reset(self) -> None:
        """Empty the store, zero the stats, clear the fault rules."""
        self._call("POST", "/_sandbox/reset", {})

    def stats(self) -> dict[str, Any]:
        """``GET /_sandbox/stats``."""
        result: dict[str, Any] = self._call("GET", "/_sandbox/stats")
        return result

    def faults(self) -> object:
        """``GET /_sandbox/faults``."""
        return self._call("GET", "/_sandbox/faults")

    def customer_count(self) -> int:
        """The tenant's customer count, through the public list endpoint."""
        page = self._call("GET", "/api/rest/customers?limit=1", key=True)
        return int(page["customersAggregate"]["aggregate"]["count"])

    def cpu_seconds(self) -> float:
        """User + system CPU the sandbox has used so far (all its threads)."""
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def rss_mb(self) -> float:
        """The sandbox's resident memory now."""
        return float(self.ps.memory_info().rss / 2**20)

    def stop(self) -> None:
        """SIGTERM, then wait."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self._log.close()


# -- one measured child -------------------------------------------------------------------


@dataclass
class Measured:
    """One child process's run: wall, CPU and peak RSS, from ``os.wait4``."""

    name: str
    records: int
    wall_s: float
    user_s: float
    sys_s: float
    max_rss_mb: float
    returncode: int
    stdout: str = ""
    stderr: str = ""

    @property
    def cpu_s(self) -> float:
        """User + system CPU seconds of the child (all its threads)."""
        return self.user_s + self.sys_s


def run_child(name: str, cmd: list[str], input_path: Path, work: Path, records: int) -> Measured:
    """Run ``cmd`` with the file on stdin, through ``measure.py`` for its own rusage."""
    tag = f"{name}-{records}"
    out_path, err_path = work / f"{tag}.stdout", work / f"{tag}.stderr"
    usage_path = work / f"{tag}.rusage"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TARGET_")}
    launcher = [PYTHON, "-I", "-S", str(HERE / "measure.py"), str(usage_path)]
    with input_path.open("rb") as stdin, out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.run(
            [*launcher, *cmd], stdin=stdin, stdout=out, stderr=err, cwd=work, env=env, check=False
        )
    try:
        wall, user, system, max_rss_kb, code = usage_path.read_text().split()
    except (OSError, ValueError):
        msg = f"FAIL: {name} could not be measured (launcher exit {proc.returncode})"
        raise SystemExit(msg) from None
    return Measured(
        name=name,
        records=records,
        wall_s=float(wall),
        user_s=float(user),
        sys_s=float(system),
        max_rss_mb=int(max_rss_kb) / 1024,  # kilobytes on Linux
        returncode=int(code),
        stdout=str(out_path),
        stderr=str(err_path),
    )


def _tail(path: str, lines: int = 15) -> str:
    text = Path(path).read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


def require_ok(run: Measured) -> None:
    """Stop the benchmark loudly when a child failed."""
    if run.returncode != 0:
        msg = (
            f"FAIL: {run.name} on {run.records} records exited {run.returncode}:\n"
            f"{_tail(run.stderr)}"
        )
        raise SystemExit(msg)


# -- the three programs -------------------------------------------------------------------


def target_command() -> list[str]:
    """The installed ``target-upwell`` next to this Python."""
    script = Path(PYTHON).parent / "target-upwell"
    if script.exists():
        return [str(script)]
    return [PYTHON, "-m", "target_upwell"]


def write_target_config(work: Path, url: str, **extra: object) -> Path:
    """target-upwell's config: the sandbox, the benchmark mapping, defaults otherwise."""
    config = {
        "api_key": API_KEY,
        "api_url": url,
        "source_system": shape.SOURCE_SYSTEM,
        "mapping": shape.MAPPING,
        "dead_letter_file": str(work / "rejected.jsonl"),
        **extra,
    }
    path = work / "target-upwell.json"
    path.write_text(json.dumps(config, indent=2))
    return path


@dataclass
class TargetRun:
    """(a)'s run, with what the sandbox did during it."""

    run: Measured
    sandbox_cpu_s: float
    sandbox_rss_mb: float
    stats: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)
    states_written: int = 0
    faults: Any = None


def run_target(  # noqa: PLR0913
    sandbox: Sandbox, config: Path, input_path: Path, work: Path, records: int, *, reset: bool
) -> TargetRun:
    """Run (a) into the sandbox; check that every customer landed, or fail loudly."""
    if reset:
        sandbox.reset()
    faults = sandbox.faults()
    before = sandbox.cpu_seconds()
    run = run_child("a", [*target_command(), "--config", str(config)], input_path, work, records)
    sandbox_cpu = sandbox.cpu_seconds() - before
    require_ok(run)
    stats = sandbox.stats()
    summary = _summary(run.stderr)
    created = summary.get("customers", {}).get("created")
    count = sandbox.customer_count()
    problems = []
    if stats.get("rows_inserted") != records:
        problems.append(f"sandbox rows_inserted={stats.get('rows_inserted')}")
    if count != records:
        problems.append(f"the list endpoint counts {count} customers")
    if created != records:
        problems.append(f"the target's summary says created={created}")
    if problems:
        msg = f"FAIL: expected all {records} customers to land; " + "; ".join(problems)
        raise SystemExit(msg)
    states = len(Path(run.stdout).read_bytes().splitlines())
    return TargetRun(run, sandbox_cpu, sandbox.rss_mb(), stats, summary, states, faults)


def load_fresh(
    work: Path,
    input_path: Path,
    records: int,
    latency_ms: int | None = None,
    flags: tuple[str, ...] = (),
    **config: object,
) -> TargetRun:
    """(a) into a sandbox started for this run alone, then stopped.

    Every run gets its own sandbox: emptying a large store through ``/_sandbox/reset`` is
    slow (see docs/benchmarks.md), and a fresh process also starts with fresh stats. Without
    latency the store is reset first anyway (it is empty; this only zeroes the stats). With
    latency it is not, because a reset also clears the ``--latency-ms`` rule.
    """
    sandbox = Sandbox(work, latency_ms=latency_ms, flags=flags)
    try:
        path = write_target_config(work, sandbox.url, **config)
        return run_target(sandbox, path, input_path, work, records, reset=not latency_ms)
    finally:
        sandbox.stop()


def _summary(stderr_path: str) -> dict[str, Any]:
    for line in reversed(Path(stderr_path).read_text(errors="replace").splitlines()):
        if line.startswith('{"target_upwell_summary"'):
            streams: dict[str, Any] = json.loads(line)["target_upwell_summary"]["streams"]
            return streams
    return {}


def run_stock(input_path: Path, work: Path, records: int) -> Measured:
    """(b): the stock singer-sdk target, default settings (no config at all)."""
    run = run_child("b", [PYTHON, str(HERE / "stock_target.py")], input_path, work, records)
    require_ok(run)
    return run


def run_floor(input_path: Path, work: Path, records: int) -> Measured:
    """(c): orjson parse, hand-written map, orjson serialize of batches of 500."""
    run = run_child("c", [PYTHON, str(HERE / "floor.py")], input_path, work, records)
    require_ok(run)
    return run


# -- inputs -------------------------------------------------------------------------------


def make_input(work: Path, records: int, seed: int) -> Path:
    """The Singer file for ``records`` customers (generated once per size and seed)."""
    path = work / f"customers-{records}-seed{seed}.singer"
    if not path.exists():
        start = time.perf_counter()
        size = shape.write_singer_file(path, records, seed)
        took = time.perf_counter() - start
        print(f"  generated {path.name}: {records:,} records, {size / 2**20:.1f} MiB, {took:.1f} s")
    return path


# -- scenario: throughput -----------------------------------------------------------------


@dataclass
class Row:
    """One line of the throughput table."""

    label: str
    full: Measured
    one: Measured

    @property
    def per_record_us(self) -> float:
        """CPU per record with startup excluded: (CPU at N - CPU at 1) / (N - 1)."""
        return (self.full.cpu_s - self.one.cpu_s) / max(1, self.full.records - 1) * 1e6

    @property
    def records_per_s(self) -> float:
        """Records over the whole wall time, startup included."""
        return self.full.records / self.full.wall_s

    @property
    def net_records_per_s(self) -> float:
        """Records over the wall time with the one-record run's wall time subtracted."""
        return (self.full.records - 1) / max(1e-9, self.full.wall_s - self.one.wall_s)


def _best(runs: list[T], key: Callable[[T], float]) -> T:
    return min(runs, key=key)


def scenario_throughput(work: Path, records: int, seed: int, repeat: int) -> dict[str, Any]:
    """(a), (b) and (c) on the same N-record file, each also on a one-record file."""
    print(f"== throughput: {records:,} records, validation on, batch {DEFAULT_BATCH}")
    full_input = make_input(work, records, seed)
    one_input = make_input(work, 1, seed)
    a_ones: list[TargetRun] = []
    a_fulls: list[TargetRun] = []
    b_ones: list[Measured] = []
    b_fulls: list[Measured] = []
    c_ones: list[Measured] = []
    c_fulls: list[Measured] = []
    # Round by round, so that each program meets the same spells of a noisy machine.
    for _ in range(repeat):
        a_ones.append(load_fresh(work, one_input, 1))
        a_fulls.append(load_fresh(work, full_input, records))
        b_ones.append(run_stock(one_input, work, 1))
        b_fulls.append(run_stock(full_input, work, records))
        c_ones.append(run_floor(one_input, work, 1))
        c_fulls.append(run_floor(full_input, work, records))
    a_one = _best(a_ones, key=lambda t: t.run.cpu_s)
    a_full = _best(a_fulls, key=lambda t: t.run.cpu_s)
    b_one, b_full, c_one, c_full = (
        _best(runs, key=lambda m: m.cpu_s) for runs in (b_ones, b_fulls, c_ones, c_fulls)
    )
    rows = [
        Row("(a) target-upwell -> sandbox", a_full.run, a_one.run),
        Row("(b) stock singer-sdk, no-op sink", b_full, b_one),
        Row("(c) floor: orjson+map+serialize", c_full, c_one),
    ]
    _print_table(rows)
    a, b, c = (row.per_record_us for row in rows)
    vs_stock, vs_floor = a / b, a / c
    requests = _requests(a_full.stats)
    print()
    _goal(
        "ratio a/b (per-record CPU)",
        f"{vs_stock:.3f}",
        f"<= {GOAL_VS_STOCK}",
        vs_stock <= GOAL_VS_STOCK,
    )
    _goal(
        "ratio a/c (per-record CPU)",
        f"{vs_floor:.2f}",
        f"<= {GOAL_VS_FLOOR}",
        vs_floor <= GOAL_VS_FLOOR,
    )
    print(
        f"  (a) landed {records:,}/{records:,} customers (sandbox rows_inserted, list count and"
        f" summary agree); {requests} requests, max {a_full.stats.get('max_in_flight')} in flight;"
        f" {a_full.states_written} STATE lines written"
    )
    print(
        f"  sandbox during (a) (not in a's CPU): {a_full.sandbox_cpu_s:.2f} CPU s,"
        f" {a_full.sandbox_cpu_s / records * 1e6:.1f} us/record, RSS {a_full.sandbox_rss_mb:.0f} MB"
    )
    print(flush=True)
    return {
        "records": records,
        "seed": seed,
        "rows": [
            {
                "label": row.label,
                "full": asdict(row.full),
                "one": asdict(row.one),
                "records_per_s": row.records_per_s,
                "net_records_per_s": row.net_records_per_s,
                "per_record_us": row.per_record_us,
            }
            for row in rows
        ],
        "ratio_a_b": vs_stock,
        "ratio_a_c": vs_floor,
        "sandbox_cpu_s": a_full.sandbox_cpu_s,
        "sandbox_rss_mb": a_full.sandbox_rss_mb,
        "sandbox_stats": a_full.stats,
        "target_summary": a_full.summary,
    }


def _print_table(rows: list[Row]) -> None:
    head = (
        f"  {'program':34} {'wall s':>7} {'rec/s':>9} {'net rec/s':>10} {'CPU s':>7}"
        f" {'CPU@1 s':>8} {'us/rec':>7} {'peak RSS':>9}"
    )
    print(head)
    print("  " + "-" * (len(head) - 2))
    for row in rows:
        print(
            f"  {row.label:34} {row.full.wall_s:7.2f} {row.records_per_s:9,.0f}"
            f" {row.net_records_per_s:10,.0f} {row.full.cpu_s:7.2f} {row.one.cpu_s:8.2f}"
            f" {row.per_record_us:7.1f} {row.full.max_rss_mb:6.0f} MB"
        )


def _requests(stats: dict[str, Any]) -> int:
    return sum(sum(by_status.values()) for by_status in stats.get("requests", {}).values())


def _goal(label: str, value: str, goal: str, met: bool) -> None:  # noqa: FBT001
    print(f"  {label:30} {value:>8}   goal {goal:8} {'MET' if met else 'NOT MET'}")


# -- scenario: latency --------------------------------------------------------------------


def scenario_latency(work: Path, records: int, seed: int) -> dict[str, Any]:
    """20k new customers into a sandbox that adds 200 ms to every request."""
    print(
        f"== latency: {records:,} new customers, sandbox latency {LATENCY_MS} ms,"
        f" batch {DEFAULT_BATCH}, max_concurrent_requests {DEFAULT_WINDOW}"
    )
    full_input = make_input(work, records, seed)
    one_input = make_input(work, 1, seed)
    # A freshly started sandbox: empty, with the latency rule of --latency-ms.
    main = load_fresh(work, full_input, records, latency_ms=LATENCY_MS)
    rules = main.faults
    # Startup reference: the same command on one record, no latency.
    one = load_fresh(work, one_input, 1)
    # CPU reference: the same load with no latency (what the two processes cost alone).
    zero = load_fresh(work, full_input, records)
    by_endpoint = {
        name: sum(statuses.values()) for name, statuses in main.stats["requests"].items()
    }
    requests = sum(by_endpoint.values())
    batches = main.summary.get("customers", {}).get("batches") or -(-records // DEFAULT_BATCH)
    ideal = requests * LATENCY_MS / 1000 / DEFAULT_WINDOW
    wall = main.run.wall_s
    net_wall = wall - one.run.wall_s
    efficiency, net_efficiency = ideal / wall, ideal / net_wall
    per_batch = requests / batches
    print(f"  fault rules in force: {json.dumps(rules)}")
    endpoints = ", ".join(f"{name} {n}" for name, n in sorted(by_endpoint.items()))
    print(f"  requests made               {requests} ({endpoints})")
    print(f"  batches                     {batches}")
    print(f"  max in flight               {main.stats.get('max_in_flight')}")
    print(
        f"  ideal wall                  {ideal:.2f} s"
        f" (= {requests} x {LATENCY_MS / 1000} s / {DEFAULT_WINDOW})"
    )
    print(f"  wall time                   {wall:.2f} s ({wall / ideal:.0%} of ideal)")
    print(
        f"  wall minus startup          {net_wall:.2f} s ({net_wall / ideal:.0%} of ideal;"
        f" startup = the one-record run, {one.run.wall_s:.2f} s, no latency)"
    )
    print(
        f"  (a) CPU                     {main.run.cpu_s:.2f} s, peak RSS"
        f" {main.run.max_rss_mb:.0f} MB; sandbox CPU {main.sandbox_cpu_s:.2f} s"
    )
    print(
        f"  same load at 0 ms latency   wall {zero.run.wall_s:.2f} s, (a) CPU"
        f" {zero.run.cpu_s:.2f} s, sandbox CPU {zero.sandbox_cpu_s:.2f} s"
    )
    print(
        f"  sandbox CPU per request     {zero.sandbox_cpu_s / requests * 1000:.0f} ms at 0 ms"
        " latency (inside each request's 200 ms, which counts from arrival to answer)"
    )
    _goal("requests per batch", f"{per_batch:.2f}", "<= 2", per_batch <= GOAL_REQUESTS_PER_BATCH)
    _goal("efficiency", f"{efficiency:.0%}", ">= 80%", efficiency >= GOAL_EFFICIENCY)
    _goal(
        "efficiency, startup excluded",
        f"{net_efficiency:.0%}",
        ">= 80%",
        net_efficiency >= GOAL_EFFICIENCY,
    )
    print(flush=True)
    return {
        "records": records,
        "latency_ms": LATENCY_MS,
        "requests": requests,
        "requests_by_endpoint": by_endpoint,
        "batches": batches,
        "requests_per_batch": per_batch,
        "max_in_flight": main.stats.get("max_in_flight"),
        "ideal_s": ideal,
        "wall_s": wall,
        "startup_wall_s": one.run.wall_s,
        "efficiency": efficiency,
        "net_efficiency": net_efficiency,
        "cpu_s": main.run.cpu_s,
        "sandbox_cpu_s": main.sandbox_cpu_s,
        "max_rss_mb": main.run.max_rss_mb,
        "zero_latency_wall_s": zero.run.wall_s,
        "zero_latency_sandbox_cpu_s": zero.sandbox_cpu_s,
    }


# -- scenario: limits ---------------------------------------------------------------------

LIMITS_LATENCY_MS = 100
LIMITS_BATCH = 100
LIMITS = {  # the server's limit: sandbox flags, the setting that would match it, the ideal
    "at most 2 in flight": (
        ("--max-in-flight", "2"),
        {"max_concurrent_requests": 2},
        lambda n: n * LIMITS_LATENCY_MS / 1000 / 2,
    ),
    "at most 8 requests a second, 1 s burst": (
        ("--rate-limit", "8", "--rate-burst", "8"),
        {"max_requests_per_second": 8},
        lambda n: n / 8,
    ),
}
GOAL_LIMIT_EFFICIENCY = 0.90  # issue 15: >= 90% of the ideal
GOAL_REFUSED_SHARE = 0.10  # and <= 10% of requests refused


def scenario_limits(work: Path, records: int, seed: int) -> dict[str, Any]:
    """New customers into a sandbox that enforces a limit Upwell might, with default pace."""
    print(
        f"== limits: {records:,} new customers, batch {LIMITS_BATCH}, sandbox latency"
        f" {LIMITS_LATENCY_MS} ms, pace settings at their defaults"
    )
    full_input = make_input(work, records, seed)
    startup = load_fresh(work, make_input(work, 1, seed), 1).run.wall_s
    results = {}
    for name, (flags, known, ideal_of) in LIMITS.items():
        found = _limited_run(work, full_input, records, flags, ideal_of=ideal_of, settings={})
        told = _limited_run(work, full_input, records, flags, ideal_of=ideal_of, settings=known)
        print(f"  {name}:")
        for label, run in (("pace, defaults", found), (f"told it: {known}", told)):
            print(
                f"    {label}: requests {run['requests']} ({run['answered']} answered,"
                f" {run['refused']} refused); ideal {run['ideal_s']:.2f} s; wall"
                f" {run['wall_s']:.2f} s ({run['efficiency']:.0%} of the ideal,"
                f" {run['ideal_s'] / (run['wall_s'] - startup):.0%} without the"
                f" {startup:.2f} s startup); pace at the end {run['pace']}"
            )
        met = found["efficiency"] >= GOAL_LIMIT_EFFICIENCY
        _goal("    of the ideal", f"{found['efficiency']:.0%}", ">= 90%", met)
        net = found["ideal_s"] / (found["wall_s"] - startup)
        _goal(
            "    of the ideal, startup excluded",
            f"{net:.0%}",
            ">= 90%",
            net >= GOAL_LIMIT_EFFICIENCY,
        )
        share = found["refused_share"]
        _goal("    refused", f"{share:.1%}", "<= 10%", share <= GOAL_REFUSED_SHARE)
        ratio = told["wall_s"] / found["wall_s"]
        print(f"    wall told the limit / wall finding it: {ratio:.2f}")
        results[name] = {"pace": found, "told": told, "startup_s": startup}
    print(flush=True)
    return results


def _limited_run(  # noqa: PLR0913
    work: Path,
    input_path: Path,
    records: int,
    flags: tuple[str, ...],
    *,
    ideal_of: Callable[[int], float],
    settings: dict[str, object],
) -> dict[str, Any]:
    """One load into a sandbox enforcing ``flags``; what it cost against the ideal."""
    run = load_fresh(
        work,
        input_path,
        records,
        latency_ms=LIMITS_LATENCY_MS,
        flags=flags,
        batch_size_rows=LIMITS_BATCH,
        **settings,
    )
    refused = run.stats.get("refused_in_flight", 0) + run.stats.get("refused_rate", 0)
    made = _requests(run.stats)
    ideal = ideal_of(made - refused)
    return {
        "requests": made,
        "answered": made - refused,
        "refused": refused,
        "ideal_s": ideal,
        "wall_s": run.run.wall_s,
        "efficiency": ideal / run.run.wall_s,
        "refused_share": refused / made,
        "pace": json.loads(_summary_line(run.run.stderr)).get("pace", {}),
    }


def _summary_line(stderr_path: str) -> str:
    for line in reversed(Path(stderr_path).read_text(errors="replace").splitlines()):
        if line.startswith('{"target_upwell_summary"'):
            return json.dumps(json.loads(line)["target_upwell_summary"])
    return "{}"


# -- scenario: memory ---------------------------------------------------------------------


def scenario_memory(work: Path, sizes: list[int], seed: int) -> dict[str, Any]:
    """(a)'s peak RSS at each size (100k, then 1M by default), each into a fresh sandbox."""
    print(f"== memory: peak RSS of (a) at {', '.join(f'{n:,}' for n in sizes)} records")
    results = []
    for records in sizes:
        path = make_input(work, records, seed)
        result = load_fresh(work, path, records)
        results.append(result)
        run = result.run
        print(
            f"  {records:>10,} records: peak RSS {run.max_rss_mb:6.1f} MB,"
            f" wall {run.wall_s:7.1f} s, CPU {run.cpu_s:7.1f} s, {records / run.wall_s:,.0f} rec/s"
            f" (sandbox {result.sandbox_cpu_s:.0f} CPU s)",
            flush=True,
        )
        if path.stat().st_size > 2**28:
            path.unlink()  # the 1M file is large; don't keep it around
    growth = results[-1].run.max_rss_mb / results[0].run.max_rss_mb
    _goal(
        f"peak RSS {sizes[-1]:,} / {sizes[0]:,}",
        f"{growth:.3f}",
        "<= 1.10",
        growth <= GOAL_RSS_GROWTH,
    )
    print(flush=True)
    return {
        "sizes": sizes,
        "max_rss_mb": [r.run.max_rss_mb for r in results],
        "wall_s": [r.run.wall_s for r in results],
        "cpu_s": [r.run.cpu_s for r in results],
        "growth": growth,
    }


# -- scenario: profile --------------------------------------------------------------------


def scenario_profile(
    work: Path, records: int, seed: int, top: int, py_spy: str | None
) -> dict[str, Any]:
    """(a) under cProfile (main thread); with ``py_spy``, also sampled by thread under the GIL."""
    print(f"== profile: (a) on {records:,} records")
    path = make_input(work, records, seed)
    result: dict[str, Any] = {"records": records}
    out = work / "target-upwell.prof"
    sandbox = Sandbox(work)
    try:
        config = write_target_config(work, sandbox.url)
        cmd = [PYTHON, str(HERE / "profile_target.py"), str(out), "--config", str(config)]
        require_ok(run_child("a-cprofile", cmd, path, work, records))
    finally:
        sandbox.stop()
    result["cprofile"] = str(out)
    if py_spy:
        raw = work / "py-spy.txt"
        sandbox = Sandbox(work)
        try:
            config = write_target_config(work, sandbox.url)
            spy = [py_spy, "record", "--gil", "--threads", "--rate", "250", "--format", "raw"]
            spy += ["-o", str(raw), "--", *target_command(), "--config", str(config)]
            require_ok(run_child("a-py-spy", spy, path, work, records))
        finally:
            sandbox.stop()
        result["py_spy"] = str(raw)
    print("-- cProfile, main thread (wall-clock timer, so GIL waits are included)")
    stats = pstats.Stats(str(out))
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    if py_spy:
        print("-- py-spy --gil: share of samples in which a thread held the GIL (= CPU)")
        print_collapsed(Path(result["py_spy"]), top)
    return result


def _frame_name(frame: str) -> str:
    """``func (path/to/file.py:12)`` -> ``func (file.py)``, paths shortened."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("/site-packages/", "/work/main/", "/lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})" if where else name


def print_collapsed(path: Path, top: int) -> None:
    """Inclusive and self shares of py-spy's collapsed stacks, and the share per thread."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        thread, *frames = stack.split(";")
        threads[thread.split('"')[1] if '"' in thread else thread] += n
        names = [_frame_name(f) for f in frames]
        total += n
        if names:
            own[names[-1]] += n
        for name in set(names):
            inclusive[name] += n
    shares = ", ".join(f"{t} {n / total:.0%}" for t, n in threads.most_common())
    print(f"  {total} samples; by thread: {shares}")
    for title, counter in (("inclusive", inclusive), ("self", own)):
        print(f"  top {top} by {title} share   (inclusive  self  function)")
        for name, _ in counter.most_common(top):
            print(f"    {inclusive[name] / total:6.1%} {own[name] / total:6.1%}  {name}")


# -- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the scenarios, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--scenario",
        choices=["throughput", "latency", "limits", "memory", "all", "profile"],
        default="throughput",
    )
    parser.add_argument(
        "--records",
        type=int,
        help="records for throughput/profile (default 100000) or latency (default 20000)",
    )
    parser.add_argument(
        "--memory-sizes",
        default="100000,1000000",
        help="record counts the memory scenario compares, first against last",
    )
    parser.add_argument("--seed", type=int, default=5, help="seed of the generated data")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="throughput: runs of each; the lowest CPU counts (a shared machine's noise only adds)",
    )
    parser.add_argument("--top", type=int, default=30, help="profile: functions to list")
    parser.add_argument("--py-spy", help="profile: path to a py-spy binary, to sample every thread")
    parser.add_argument("--workdir", type=Path, help="keep inputs and logs here (default: temp)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)

    facts = machine_facts()
    print_machine(facts)
    compile_bytecode()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="upwell-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": facts, "command": " ".join(sys.argv)}
    every = ["throughput", "latency", "limits", "memory"]
    scenarios = every if args.scenario == "all" else [args.scenario]
    try:
        for scenario in scenarios:
            if scenario == "throughput":
                results["throughput"] = scenario_throughput(
                    work, args.records or 100_000, args.seed, args.repeat
                )
            elif scenario == "latency":
                results["latency"] = scenario_latency(work, args.records or 20_000, args.seed)
            elif scenario == "limits":
                results["limits"] = scenario_limits(work, args.records or 15_000, args.seed)
            elif scenario == "memory":
                sizes = [int(n) for n in args.memory_sizes.split(",")]
                results["memory"] = scenario_memory(work, sizes, args.seed)
            else:
                results["profile"] = scenario_profile(
                    work, args.records or 100_000, args.seed, args.top, args.py_spy
                )
    finally:
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, default=str))
        if args.workdir is None and args.scenario != "profile":
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"inputs and logs kept in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

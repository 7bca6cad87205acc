"""File storage: a local folder by default, Cloudflare R2 (S3 API through boto3) when set.

Keys are content-addressed or random and validated — never a user-supplied path — so a
hostile file name cannot escape the storage root. Files are written before any row that
references them (a crash leaves an orphan file, never a row pointing at nothing).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_.-]*)*$")
CHUNK = 1024 * 1024


class StorageError(Exception):
    """A file could not be stored or read; the message is safe to show to an operator."""


@dataclass(frozen=True)
class StoredFile:
    """Where a file went, and what it was."""

    key: str
    sha256: str
    size: int


def validate_key(key: str) -> str:
    """Refuse anything that is not one of our own keys (no `..`, no absolute paths)."""
    if not KEY_PATTERN.match(key) or ".." in key or len(key) > 300:
        raise StorageError(f"invalid storage key {key!r}")
    return key


def safe_suffix(filename: str) -> str:
    """A lower-case extension from a user's file name, or '' when it is anything unusual."""
    suffix = Path(filename).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""


def content_key(prefix: str, sha256: str, suffix: str = "") -> str:
    """imports/ab/abcdef….csv — the same content always lands at the same key."""
    return validate_key(f"{prefix}/{sha256[:2]}/{sha256}{suffix}")


def random_key(prefix: str, suffix: str = "") -> str:
    """exports/9f…/<uuid>.csv — for generated files whose content is not worth addressing."""
    token = uuid.uuid4().hex
    return validate_key(f"{prefix}/{token[:2]}/{token}{suffix}")


def spool(
    stream: IO[bytes], directory: Path | None = None, limit: int | None = None
) -> tuple[Path, str, int]:
    """Copy a stream to a temporary file while hashing it; flat memory for any size.

    Raises StorageError past `limit` bytes (the temporary file is removed).
    """
    digest = hashlib.sha256()
    size = 0
    handle, name = tempfile.mkstemp(dir=directory, prefix="upload-")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if limit is not None and size > limit:
                    raise StorageError(f"file is larger than the {limit // (1024 * 1024)} MB limit")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, digest.hexdigest(), size


class Storage(Protocol):
    """What services need from a file store."""

    def put_file(
        self, path: Path, key: str, content_type: str = "application/octet-stream"
    ) -> None: ...

    def open(self, key: str) -> IO[bytes]: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def download_url(self, key: str, filename: str, expires: int = 300) -> str | None: ...


class LocalStorage:
    """The embedded default: files under a folder (instance/files)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / validate_key(key)).resolve()
        if self.root not in path.parents:
            raise StorageError(f"invalid storage key {key!r}")
        return path

    def put_file(
        self, path: Path, key: str, content_type: str = "application/octet-stream"
    ) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(path, partial)
        partial.replace(target)  # atomic: readers never see half a file

    def open(self, key: str) -> IO[bytes]:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError as exc:
            raise StorageError(f"no stored file {key}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def download_url(self, key: str, filename: str, expires: int = 300) -> str | None:
        return None  # streamed by the app after its permission check


class R2Storage:
    """Cloudflare R2 through boto3's S3 client (region `auto`, conservative checksums)."""

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str,
        access_key_id: str,
        secret_access_key: str,
        region: str = "auto",
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            region_name=region,
            config=Config(
                signature_version="s3v4",
                # R2 does not accept every flexible checksum newer boto3 sends by default.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                retries={"max_attempts": 4, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
            ),
        )

    def put_file(
        self, path: Path, key: str, content_type: str = "application/octet-stream"
    ) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.upload_file(
                str(path), self.bucket, validate_key(key), ExtraArgs={"ContentType": content_type}
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not store {key}: {exc}") from exc

    def open(self, key: str) -> IO[bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=validate_key(key))["Body"]
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"no stored file {key}") from exc
        return body

    def exists(self, key: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=validate_key(key))
        except ClientError:
            return False
        except BotoCoreError as exc:  # R2 unreachable: not "absent", and not a crash either
            raise StorageError(f"could not look up {key}: {exc}") from exc
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=validate_key(key))

    def download_url(self, key: str, filename: str, expires: int = 300) -> str | None:
        disposition_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)[:100] or "download"
        return str(
            self.client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": validate_key(key),
                    "ResponseContentDisposition": f'attachment; filename="{disposition_name}"',
                },
                ExpiresIn=expires,
            )
        )


def from_config(config: dict[str, Any]) -> Storage:
    """The configured backend: STORAGE_BACKEND=local (default) or r2."""
    if config.get("STORAGE_BACKEND", "local") == "r2":
        account = config.get("R2_ACCOUNT_ID", "")
        endpoint = config.get("R2_ENDPOINT_URL") or f"https://{account}.r2.cloudflarestorage.com"
        return R2Storage(
            bucket=config["R2_BUCKET"],
            endpoint_url=endpoint,
            access_key_id=config["R2_ACCESS_KEY_ID"],
            secret_access_key=config["R2_SECRET_ACCESS_KEY"],
        )
    return LocalStorage(Path(config["INSTANCE_DIR"]) / "files")


def iter_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    """Stream a stored file to a response without loading it whole."""
    try:
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        handle.close()

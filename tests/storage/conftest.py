"""Both stores behind one fixture, so the contract suite runs against each.

``store`` is a ``Stored`` bundle: the store itself, ``fetch(url, headers)`` that follows one of its links
over real HTTP the way a browser would (the local store through the Flask app, S3 with urllib against
moto's server), and for S3 the server, to look at what it received.

The S3 fixtures (``moto_server``, ``s3_bucket``, ``s3_settings``) come from ``tests/s3server.py``.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from clipper.settings import Settings
from storage import ObjectStore, StoreConfig, open_store
from tests.s3server import S3Server, moto_server, s3_bucket, s3_settings  # noqa: F401  (fixtures)
from workers.context import store_config

MULTIPART_THRESHOLD = 5 * 1024 * 1024


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class Stored:
    kind: str
    store: ObjectStore
    fetch: Callable[..., Fetched]
    server: S3Server | None = None


def _with_threshold(config: StoreConfig) -> StoreConfig:
    import dataclasses

    return dataclasses.replace(config, multipart_threshold=MULTIPART_THRESHOLD)


def _urllib_fetch(url: str, headers: dict[str, str] | None = None) -> Fetched:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Fetched(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as exc:
        return Fetched(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A migrated SQLite file: serving a local link asks the database whether its clip was withdrawn."""
    from clipper.db import upgrade

    url = f"sqlite:///{tmp_path / 'clipper.db'}"
    upgrade(url)
    return Settings.from_env({}, data_dir=tmp_path / "data", database_url=url, secret_key="test-secret",
                             public_base_url="http://localhost")


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, settings: Settings) -> Stored:
    if request.param == "local":
        from web import create_app

        app = create_app(settings, "")
        client = app.test_client()

        def fetch(url: str, headers: dict[str, str] | None = None) -> Fetched:
            response = client.get(url, headers=headers or {})
            return Fetched(response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.data)

        local = open_store(_with_threshold(store_config(app.config["CLIPPER"])))
        return Stored("local", local, fetch)
    s3: Settings = request.getfixturevalue("s3_settings")
    server: S3Server = request.getfixturevalue("moto_server")
    return Stored("s3", open_store(_with_threshold(store_config(s3))), _urllib_fetch, server)

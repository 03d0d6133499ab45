"""Shared fixtures: real SQLite/PostgreSQL, a real Redis, a real object store, the Flask app.

- ``CLIPPER_TEST_DATABASE_URL`` (PostgreSQL) adds a second run of every test that asks for
  ``database_url``; each such test gets its own schema.
- ``CLIPPER_TEST_REDIS_URL`` uses that Redis (flushed per test; each pytest-xdist worker its own
  database); otherwise an embedded one is started per worker.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from clipper.db import make_engine, make_sessionmaker, upgrade
from clipper.models import ApiToken, User
from clipper.settings import Settings
from workers import context
from workers.redis import EmbeddedRedis, connect

PG_URL = os.environ.get("CLIPPER_TEST_DATABASE_URL", "")


def _pg_schema_url(base: str) -> Iterator[str]:
    schema = "t_" + uuid.uuid4().hex[:12]
    url = base.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: SQLite, and PostgreSQL when CLIPPER_TEST_DATABASE_URL is set."""
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("CLIPPER_TEST_DATABASE_URL is not set (PostgreSQL runs in CI)")
        gen = _pg_schema_url(PG_URL)
        url = next(gen)
        upgrade(url)
        yield url
        next(gen, None)
    else:
        url = f"sqlite:///{tmp_path / 'clipper.db'}"
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def whisper_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where converted speech-model weights are kept for the test session (not pytest's cache plugin, which
    ``-p no:cacheprovider`` turns off)."""
    return tmp_path_factory.mktemp("clipper-whisper")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'clipper.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("CLIPPER_TEST_REDIS_URL", "")
    if configured:
        yield _database_of_this_worker(configured)
        return
    embedded = EmbeddedRedis(tmp_path_factory.mktemp("redis")).start()
    yield embedded.url
    embedded.stop()


def _database_of_this_worker(url: str) -> str:
    """Under pytest-xdist each worker flushes its own database: gw0 keeps the URL's, gwN takes N after it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    base, _, db = url.rstrip("/").rpartition("/")
    first = int(db) if db.isdigit() else 0
    if not db.isdigit():
        base = url.rstrip("/")
    return f"{base}/{(first + int(worker[2:])) % 16}"


@pytest.fixture
def redis_url(redis_server: str) -> str:
    connect(redis_server).flushdb()
    return redis_server


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return Settings.from_env({}, data_dir=tmp_path / "data", database_url=sqlite_url, secret_key="test-secret",
                             public_base_url="http://localhost")


@pytest.fixture
def ctx(settings: Settings, redis_url: str) -> context.Context:
    """The worker context for in-process jobs, on the test's settings."""
    return context.configure(settings, redis_url)


@pytest.fixture
def app(settings: Settings, redis_url: str, ctx: context.Context):  # type: ignore[no-untyped-def]
    from web import create_app

    app = create_app(settings, redis_url)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


def make_user(ctx: context.Context, email: str = "vol@example.org", role: str = "volunteer",
              password: str = "correct horse battery") -> tuple[User, str]:
    """A user and an API token for them."""
    from werkzeug.security import generate_password_hash

    with ctx.sessions() as session:
        user = User(email=email, name=email.split("@")[0], role=role, password_hash=generate_password_hash(password))
        session.add(user)
        session.flush()
        secret = ApiToken.new_secret()
        session.add(ApiToken(user_id=user.id, name="test", token_hash=ApiToken.hash(secret)))
        session.commit()
        return user, secret


@pytest.fixture
def token(ctx: context.Context) -> str:
    return make_user(ctx)[1]


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def run_jobs(redis_url: str, queues: tuple[str, ...] = ("ingest", "transcribe", "render", "publish")) -> None:
    """Run every queued job in this process until the queues are empty (RQ's SimpleWorker, burst)."""
    from rq import Queue, SimpleWorker

    conn = connect(redis_url)
    SimpleWorker([Queue(q, connection=conn) for q in queues], connection=conn).work(burst=True)


@pytest.fixture
def sessions(ctx: context.Context):  # type: ignore[no-untyped-def]
    return ctx.sessions


def engine_for(url: str):  # type: ignore[no-untyped-def]
    return make_sessionmaker(make_engine(url))

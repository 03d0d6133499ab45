"""The deployment files: compose.yaml parses and describes share-nothing hosts; the image runs the
commands the tests run, as a non-root user, with a health check; every variable it sets is a setting.

Docker itself is not available where the tests run, so what can be checked without it is checked here.
"""

from __future__ import annotations

import re
import shlex
import signal
from pathlib import Path

import yaml
from click.testing import CliRunner

from clipper.settings import documented
from web.cli import main

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {name for name, _, _ in documented()}


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _dockerfile() -> list[str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _is_clipper_command(argv: list[str]) -> None:
    assert argv[0] == "clipper", argv
    before = signal.getsignal(signal.SIGTERM)  # the CLI's group sets its own SIGTERM handler
    try:
        result = CliRunner().invoke(main, [*argv[1:], "--help"])
    finally:
        signal.signal(signal.SIGTERM, before)
    assert result.exit_code == 0, f"`{' '.join(argv)}` is not a clipper command: {result.output}"


def test_compose_has_the_three_shared_services_and_scalable_workers() -> None:
    services = _compose()["services"]
    assert {"postgres", "redis", "minio", "create-bucket", "migrate", "web", "worker"} <= set(services)
    redis_cmd = services["redis"]["command"]
    assert "--appendonly" in redis_cmd and redis_cmd[redis_cmd.index("--appendonly") + 1] == "yes"
    assert redis_cmd[redis_cmd.index("--maxmemory-policy") + 1] == "noeviction"
    assert "mc mb --ignore-existing local/clipper" in " ".join(services["create-bucket"]["entrypoint"])
    # --scale worker=N needs a worker with no fixed container name or host port
    assert "container_name" not in services["worker"] and "ports" not in services["worker"]


def test_web_and_worker_share_only_database_redis_and_s3() -> None:
    services = _compose()["services"]
    for name in ("web", "worker", "migrate"):
        env = services[name]["environment"]
        assert env["CLIPPER_DATABASE_URL"].startswith("postgresql://")
        assert env["CLIPPER_REDIS_URL"].startswith("redis://")
        assert env["CLIPPER_STORAGE_URL"].startswith("s3://")
        assert "CLIPPER_SECRET_KEY" in env  # the same secret on every host: signed links and sessions agree
        unknown = sorted(set(env) - SETTINGS)
        assert not unknown, f"{name} sets variables Clipper does not read: {unknown}"
        assert "volumes" not in services[name], f"{name} must not share a data dir with other hosts"
        _is_clipper_command(services[name]["command"])


def test_workers_get_time_to_finish_their_job_on_shutdown() -> None:
    grace = _compose()["services"]["worker"]["stop_grace_period"]
    minutes = int(re.fullmatch(r"(\d+)m", grace).group(1))  # type: ignore[union-attr]
    assert minutes >= 5


def test_image_runs_a_clipper_command_as_a_non_root_user_with_a_health_check() -> None:
    lines = _dockerfile()
    assert lines[0].startswith("FROM python:3.11-slim")
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert any(line.startswith("HEALTHCHECK") and "/healthz" in line for line in lines)
    cmd = next(line for line in reversed(lines) if line.startswith("CMD "))
    _is_clipper_command(yaml.safe_load(cmd[4:]))
    env = " ".join(line[4:] for line in lines if line.startswith("ENV "))
    for name in re.findall(r"(CLIPPER_[A-Z_]+)=", env):
        assert name in SETTINGS, name


def test_image_installs_what_make_run_installs() -> None:
    makefile = (ROOT / "Makefile").read_text()
    wanted = set(re.search(r"^RUN_PACKAGES := (.+)$", makefile, re.M).group(1).split())  # type: ignore[union-attr]
    apt = next(line for line in _dockerfile() if "apt-get install" in line)
    words = shlex.split(apt.split("apt-get install", 1)[1].split("&&")[0])
    assert wanted <= set(words), f"the image misses {wanted - set(words)}"

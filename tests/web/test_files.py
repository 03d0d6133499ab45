"""Signed links to local-store objects: only an intact, unexpired link opens a file, and video can seek."""

from __future__ import annotations

import dataclasses
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from clipper.settings import Settings
from storage import LocalStore

VIDEO = bytes(range(256)) * 100  # 25,600 bytes


@pytest.fixture
def local(app: Flask) -> LocalStore:
    store = app.extensions["clipper.store"]
    assert isinstance(store, LocalStore)
    store.put_bytes("clips/1/landscape.mp4", VIDEO)
    return store


def path_of(url: str) -> str:
    return url.removeprefix("http://localhost")


def test_anyone_with_a_valid_link_gets_the_file(client: FlaskClient, local: LocalStore) -> None:
    response = client.get(path_of(local.url("clips/1/landscape.mp4")))

    assert response.status_code == 200
    assert response.data == VIDEO
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("inline")


def test_a_download_link_saves_under_its_name(client: FlaskClient, local: LocalStore) -> None:
    response = client.get(path_of(local.url("clips/1/landscape.mp4", download_name="hospital-clip.mp4")))

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=hospital-clip.mp4"


def test_expired_and_tampered_links_are_refused(client: FlaskClient, local: LocalStore) -> None:
    good = path_of(local.url("clips/1/landscape.mp4", download_name="a.mp4"))
    query = dict(part.split("=", 1) for part in good.split("?", 1)[1].split("&"))
    base = "/files/clips/1/landscape.mp4"
    refused = {
        "expired": path_of(local.url("clips/1/landscape.mp4", expires=-5)),
        "signature changed": good.replace(query["sig"], query["sig"][:-1] + ("0" if query["sig"][-1] != "0" else "1")),
        "expiry pushed back": good.replace(f"expires={query['expires']}", f"expires={int(query['expires']) + 3600}"),
        "download renamed": good.replace("download=a.mp4", "download=b.exe"),
        "download removed": f"{base}?expires={query['expires']}&sig={query['sig']}",
        "no signature": f"{base}?expires={query['expires']}",
        "nothing": base,
        "expiry not a number": f"{base}?expires=soon&sig={query['sig']}&download=a.mp4",
        "another object's link": good.replace("clips/1/landscape.mp4", "clips/1/square.mp4"),
    }
    local.put_bytes("clips/1/square.mp4", b"square")
    for why, url in refused.items():
        response = client.get(url)
        assert response.status_code == 403, why
        assert VIDEO[:100] not in response.data and b"square" not in response.data, why


def test_paths_that_leave_the_store_never_serve_a_file(app: Flask, client: FlaskClient, local: LocalStore) -> None:
    settings: Settings = app.config["CLIPPER"]
    (settings.data_dir / "secret.txt").write_text("top secret")
    local.put_bytes("clips/1/notes.txt", b"fine")
    for key in ("../secret.txt", "clips/../../secret.txt", ".meta/clips/1/notes.txt.json"):
        sig_query = f"expires=9999999999&sig={local.signature(key, 9999999999)}"  # even a valid signature
        for path in (f"/files/{key}", f"/files/{quote(key, safe='')}", f"/files/{quote(key)}".replace(".", "%2e")):
            response = client.get(f"{path}?{sig_query}")
            assert response.status_code in (403, 404), path
            assert b"top secret" not in response.data and b"sha256" not in response.data, path


def test_a_valid_link_to_a_deleted_object_is_not_found(client: FlaskClient, local: LocalStore) -> None:
    url = path_of(local.url("clips/1/landscape.mp4"))
    local.delete("clips/1/landscape.mp4")

    assert client.get(url).status_code == 404


def test_head_says_how_big_without_sending_it(client: FlaskClient, local: LocalStore) -> None:
    response = client.head(path_of(local.url("clips/1/landscape.mp4")))

    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(VIDEO))
    assert response.data == b""


def test_video_seeking_gets_partial_content(client: FlaskClient, local: LocalStore) -> None:
    url = path_of(local.url("clips/1/landscape.mp4"))

    middle = client.get(url, headers={"Range": "bytes=1000-1999"})
    tail = client.get(url, headers={"Range": "bytes=-100"})
    beyond = client.get(url, headers={"Range": f"bytes={len(VIDEO)}-"})

    assert (middle.status_code, middle.data) == (206, VIDEO[1000:2000])
    assert middle.headers["Content-Range"] == f"bytes 1000-1999/{len(VIDEO)}"
    assert (tail.status_code, tail.data) == (206, VIDEO[-100:])
    assert beyond.status_code == 416


def test_a_browser_revisiting_gets_not_modified(client: FlaskClient, local: LocalStore) -> None:
    url = path_of(local.url("clips/1/landscape.mp4"))
    first = client.get(url)

    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304 and again.data == b""


def test_with_s3_storage_the_web_app_serves_no_files(settings: Settings, redis_url: str) -> None:
    from web import create_app

    s3 = dataclasses.replace(settings, storage_url="s3://bucket/prefix", s3_endpoint_url="http://127.0.0.1:9")
    client = create_app(s3, redis_url).test_client()

    assert client.get("/files/clips/1/landscape.mp4?expires=9999999999&sig=x").status_code == 404

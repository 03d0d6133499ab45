"""Transcripts out of Clipper: SRT, WebVTT, plain text and word-level JSON from the API and the CLI, with
volunteers' fixes applied and their timing kept; glossary warnings on likely misspelt names; search follows
a fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from clipper.models import Recording, Word
from clipper.recordings import save_transcript
from tests.conftest import make_user
from tests.web.test_recording_page import SENTENCES, _transcript

STAMP = r"(\d\d):(\d\d):(\d\d)[,.](\d\d\d)"


@pytest.fixture
def recording(sessions) -> dict:  # type: ignore[no-untyped-def]
    with sessions() as db:
        rec = Recording(title="Evening news", status="ready", duration=30.0, language="en")
        db.add(rec)
        db.flush()
        save_transcript(db, rec, _transcript())
        db.commit()
        words = [(w.idx, w.start, w.end, w.text) for w in db.query(Word).order_by(Word.idx)]
        return {"id": rec.id, "words": words}


@pytest.fixture
def admin(ctx) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {make_user(ctx, 'admin@example.org', 'admin')[1]}"}


def _seconds(match: tuple[str, ...]) -> float:
    h, m, s, ms = (int(x) for x in match)
    return h * 3600 + m * 60 + s + ms / 1000


def _cues(body: str) -> list[tuple[float, float, str]]:
    cues = []
    for block in re.split(r"\n\s*\n", body.strip()):
        lines = block.strip().splitlines()
        for i, line in enumerate(lines):
            if "-->" in line:
                start, end = re.findall(STAMP, line)
                cues.append((_seconds(start), _seconds(end), " ".join(lines[i + 1:])))
    return cues


def _fix(client, auth, rid: int, idx: int, text: str | None):  # type: ignore[no-untyped-def]
    return client.patch(f"/api/v1/recordings/{rid}/words/{idx}", headers=auth, json={"text": text})


def test_every_format_carries_the_words_their_times_and_the_fixes(client, auth, recording) -> None:  # type: ignore[no-untyped-def]
    rid, words = recording["id"], recording["words"]
    fixed = _fix(client, auth, rid, 4, "newest")  # "new" -> "newest": the text changes, the timing stays
    assert fixed.status_code == 200 and fixed.json["start"] == words[4][1] and fixed.json["recognised"] == "new"

    srt = client.get(f"/api/v1/recordings/{rid}/transcript.srt", headers=auth)
    assert srt.status_code == 200 and srt.mimetype == "application/x-subrip"
    assert 'filename="recording-' in srt.headers["Content-Disposition"]
    cues = _cues(srt.get_data(as_text=True))
    assert " ".join(c[2] for c in cues).split() == [("newest" if w[0] == 4 else w[3]) for w in words]
    assert cues[0][0] == words[0][1] and cues[-1][1] == words[-1][2]
    assert re.match(r"1\n00:00:01,000 --> ", srt.get_data(as_text=True))

    vtt = client.get(f"/api/v1/recordings/{rid}/transcript.vtt", headers=auth).get_data(as_text=True)
    assert vtt.startswith("WEBVTT") and _cues(vtt) == cues and "00:00:01.000 -->" in vtt

    txt = client.get(f"/api/v1/recordings/{rid}/transcript.txt", headers=auth).get_data(as_text=True)
    assert txt.splitlines() == [f"{speaker}: {sentence.replace(' new ', ' newest ')}" for speaker, sentence in SENTENCES]

    data = client.get(f"/api/v1/recordings/{rid}/transcript.json", headers=auth).json
    flat = [w for seg in data["segments"] for w in seg["words"]]
    assert [(w["idx"], w["start"], w["end"]) for w in flat] == [w[:3] for w in words]
    assert flat[4]["text"] == "newest" and flat[4]["recognised"] == "new" and flat[4]["edited"] is True
    assert [s["speaker"] for s in data["segments"]] == [s for s, _ in SENTENCES]

    undone = _fix(client, auth, rid, 4, None)
    assert undone.json["text"] == "new" and undone.json["edited"] is False


def test_bad_format_and_bad_fixes_get_a_clear_message(client, auth, recording) -> None:  # type: ignore[no-untyped-def]
    rid = recording["id"]
    bad = client.get(f"/api/v1/recordings/{rid}/transcript.doc", headers=auth)
    assert bad.status_code == 400 and "use srt, vtt, txt or json" in bad.json["error"]
    assert client.get("/api/v1/recordings/9999/transcript.srt", headers=auth).status_code == 404
    assert _fix(client, auth, rid, 9999, "x").status_code == 404
    assert _fix(client, auth, rid, 1, "x" * 201).status_code == 400
    assert client.patch(f"/api/v1/recordings/{rid}/words/1", headers=auth, json={}).status_code == 400


def test_the_cli_exports_the_same_transcript(client, auth, recording, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from web.cli import main

    rid = recording["id"]
    env = {"CLIPPER_DATA_DIR": str(settings.data_dir), "CLIPPER_DATABASE_URL": settings.database_url,
           "CLIPPER_SECRET_KEY": "test-secret"}
    runner = CliRunner()
    for fmt in ("srt", "vtt", "txt", "json"):
        out = tmp_path / f"t.{fmt}"
        result = runner.invoke(main, ["export", str(rid), "--format", fmt, "-o", str(out)], env=env)
        assert result.exit_code == 0, result.output
        api = client.get(f"/api/v1/recordings/{rid}/transcript.{fmt}", headers=auth).get_data(as_text=True)
        assert out.read_text() == api
    missing = runner.invoke(main, ["export", "9999", "-o", str(tmp_path / "missing.srt")], env=env)
    assert missing.exit_code == 1 and "9999" in missing.output and not (tmp_path / "missing.srt").exists()


def test_glossary_flags_likely_misspelt_names(client, auth, admin, recording) -> None:  # type: ignore[no-untyped-def]
    rid = recording["id"]
    assert client.put("/api/v1/glossary", headers=auth, json={"terms": ["Starmer"]}).status_code == 403
    saved = client.put("/api/v1/glossary", headers=admin,
                       json={"terms": ["Starmer", {"term": "Rayner", "note": "Deputy PM"}]})
    assert saved.status_code == 200 and [t["term"] for t in saved.json["terms"]] == ["Rayner", "Starmer"]
    _fix(client, auth, rid, 0, "Starmar")  # close to a name, but not it
    _fix(client, auth, rid, 1, "Starmer")  # the name itself
    data = client.get(f"/api/v1/recordings/{rid}/transcript.json", headers=auth).json
    flat = [w for seg in data["segments"] for w in seg["words"]]
    assert flat[0]["warnings"] and "Starmer" in flat[0]["warnings"][0]
    assert flat[1]["warnings"] == [] and all(not w["warnings"] for w in flat[2:])
    bad = client.put("/api/v1/glossary", headers=admin, json={"terms": [42]})
    assert bad.status_code == 400 and "name" in bad.json["error"]


def test_search_follows_a_caption_fix(client, auth, recording) -> None:  # type: ignore[no-untyped-def]
    rid = recording["id"]
    assert client.get("/api/v1/search?q=hospital", headers=auth).json["hits"]
    _fix(client, auth, rid, 5, "infirmary")
    assert not client.get("/api/v1/search?q=hospital", headers=auth).json["hits"]
    hits = client.get("/api/v1/search?q=infirmary", headers=auth).json["hits"]
    assert len(hits) == 1 and hits[0]["recording"]["id"] == rid
    assert "infirmary" in hits[0]["segment"]["text"] and hits[0]["moment"] == recording["words"][5][1]

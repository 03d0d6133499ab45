"""The review page protects the campaign: it shows the clip (a rough preview made on submit and on every
save of a submitted clip), who marked it and when, the sentence before and after the cut, and warnings
about a cut mid-sentence, a negation just outside the cut, glossary misspellings and a missing imprint.
The audit page lists who did what, from the events table."""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import pytest

from clipper import glossary
from clipper.models import Branding, Recording
from clipper.recordings import save_transcript
from clipper.transcript import Segment, Transcript
from clipper.transcript import Word as TWord
from tests.conftest import make_user, run_jobs
from tests.web.forms import logged_in, post_form

SENTENCES = ["The minister said the new hospital will open next spring.",
             "We will not raise taxes on working people.",
             "Wes Streeding visited Leeds today."]


def _transcript(sentences: list[str] = SENTENCES) -> tuple[Transcript, list[tuple[float, float, str]]]:
    segments, words, t = [], [], 0.5
    for sentence in sentences:
        ws = []
        for text in sentence.split():
            ws.append(TWord(round(t, 3), round(t + 0.3, 3), text, 0.9))
            t += 0.35
        segments.append(Segment(ws[0].start, ws[-1].end, sentence, tuple(ws), ""))
        words += [(w.start, w.end, w.text) for w in ws]
        t += 0.4
    return Transcript("en", t + 0.5, tuple(segments)), words


@pytest.fixture
def desk(client, ctx, sessions, tmp_path: Path) -> dict:  # type: ignore[no-untyped-def]
    """A ready recording with real media in the store; a volunteer's token and a logged-in lead."""
    transcript, words = _transcript()
    video = _broadcast(tmp_path / "src.mp4", transcript.duration)
    ctx.store.put_file("recordings/1/original.mp4", video, content_type="video/mp4")
    with sessions() as db:
        rec = Recording(title="Evening news", status="ready", duration=transcript.duration,
                        original_key="recordings/1/original.mp4",
                        probe={"fps": 25.0, "width": 320, "height": 180, "has_video": True})
        db.add(rec)
        db.flush()
        save_transcript(db, rec, transcript)
        glossary.replace_terms(db, [glossary.Entry("Wes Streeting")])
        db.commit()
        rid = rec.id
    _, token = make_user(ctx, "vol@example.org", "volunteer")
    return {"rid": rid, "words": words, "vol": {"Authorization": f"Bearer {token}"}}


def _broadcast(dest: Path, seconds: float) -> Path:
    """A small video with a keyframe every half second, as broadcast streams have (the rough preview cuts on them)."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={seconds}",
                    "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac", "-c:v", "libx264",
                    "-preset", "ultrafast", "-g", "12", "-pix_fmt", "yuv420p", str(dest)], check=True)
    return dest


def _mark(client, desk, first: int, last: int, title: str = "Clip") -> dict:  # type: ignore[no-untyped-def]
    w = desk["words"]
    made = client.post(f"/api/v1/recordings/{desk['rid']}/clips", headers=desk["vol"],
                       json={"start": w[first][0], "end": w[last][1], "title": title})
    assert made.status_code == 201, made.json
    return made.json


def _submit(client, desk, clip: dict) -> dict:  # type: ignore[no-untyped-def]
    sent = client.post(f"/api/v1/clips/{clip['id']}/submit", headers=desk["vol"], json={"version": clip["version"]})
    assert sent.status_code == 200, sent.json
    return sent.json


def _card(page: str, clip_id: int) -> str:
    match = re.search(rf'<section class="card review" id="clip-{clip_id}".*?</section>', page, re.S)
    assert match, page
    return html.unescape(match.group(0))


def _duration(data: bytes, tmp_path: Path) -> float:
    path = tmp_path / "preview.mp4"
    path.write_bytes(data)
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return float(json.loads(out)["format"]["duration"])


def _video_src(card: str) -> str:
    match = re.search(r'<video[^>]*src="([^"]+)"', card)
    assert match, f"no preview video on the review card: {card}"
    return match.group(1)


def test_submitting_makes_the_preview_the_review_page_plays(client, ctx, desk, redis_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # "We will not raise taxes on working people." (words 10..17), marked with the web page's endpoint
    clip = _submit(client, desk, _mark(client, desk, 10, 17, "No tax rises"))
    lead = client.application.test_client()  # the volunteer's API calls carry no cookie
    logged_in(lead, ctx, "social_lead", "lead@example.org")
    waiting = _card(lead.get("/review").get_data(as_text=True), clip["id"])
    assert "preview is being made" in waiting
    run_jobs(redis_url)
    card = _card(lead.get("/review").get_data(as_text=True), clip["id"])
    src = html.unescape(_video_src(card))
    served = lead.get(src.replace("http://localhost", ""))
    assert served.status_code == 200
    assert abs(_duration(served.data, tmp_path) - (clip["end"] - clip["start"])) < 1.0
    marked = re.search(r"Marked by <strong>vol</strong> on (\d\d \w{3} \d{4} \d\d:\d\d)([^<]*)<", card)
    assert marked, card
    assert "AM" not in marked.group(2) and "PM" not in marked.group(2)  # 24-hour clock, not the CSRF token's letters

    # saving the submitted clip again makes a new preview of the new cut
    moved = client.patch(f"/api/v1/clips/{clip['id']}", headers=desk["vol"],
                         json={"version": clip["version"], "end": desk["words"][13][1]})
    assert moved.status_code == 200 and moved.json["status"] == "submitted"
    run_jobs(redis_url)
    card = _card(lead.get("/review").get_data(as_text=True), clip["id"])
    served = lead.get(html.unescape(_video_src(card)).replace("http://localhost", ""))
    assert abs(_duration(served.data, tmp_path) - (desk["words"][13][1] - clip["start"])) < 1.0


def test_glossary_misspellings_in_the_captions_are_flagged(client, ctx, desk) -> None:  # type: ignore[no-untyped-def]
    clip = _submit(client, desk, _mark(client, desk, 18, 22, "Visit"))  # "Wes Streeding visited Leeds today."
    logged_in(client, ctx, "social_lead", "lead@example.org")
    card = _card(client.get("/review").get_data(as_text=True), clip["id"])
    assert "Caption word “Streeding”" in card and "Streeting" in card, card
    assert "mid-sentence" not in card  # a whole sentence


def test_the_sentence_around_the_cut_and_a_cut_after_not(client, ctx, desk) -> None:  # type: ignore[no-untyped-def]
    # "raise taxes on working people." cut just after "not": it says the opposite of what was meant
    after_not = _submit(client, desk, _mark(client, desk, 13, 17, "Raise taxes"))
    # "new hospital will open next" cut out of the middle of the first sentence
    middle = _submit(client, desk, _mark(client, desk, 4, 8, "Hospital"))
    whole = _submit(client, desk, _mark(client, desk, 0, 9, "Whole sentence"))
    logged_in(client, ctx, "social_lead", "lead@example.org")
    page = client.get("/review").get_data(as_text=True)

    card = _card(page, after_not["id"])
    assert "“not” is said just before the clip starts" in card, card
    assert "starts mid-sentence" in card
    assert re.search(r'context-before[^>]*>[^<]*We will not</span>', card), card
    assert re.search(r'context-clip">raise taxes on working people.</mark>', card), card
    assert re.search(r'context-after[^>]*>Wes Streeding visited Leeds today.</span>', card), card

    card = _card(page, middle["id"])
    assert "starts mid-sentence" in card and "ends mid-sentence" in card
    assert re.search(r'context-before[^>]*>The minister said the</span>', card), card
    assert re.search(r'context-after[^>]*>spring. We will not raise taxes on working people.</span>', card), card
    assert "is said just" not in card

    card = _card(page, whole["id"])
    assert "mid-sentence" not in card and "is said just" not in card, card
    # no imprint yet: every card says so, until an admin sets one
    assert "Renders carry no promoter imprint" in card
    with ctx.sessions() as db:
        Branding.current(db).imprint_text = "Promoted by J Bloggs on behalf of the Party, 1 High St."
        db.commit()
    assert "no promoter imprint" not in client.get("/review").get_data(as_text=True)


def test_a_negation_just_after_the_out_point_is_flagged(client, ctx, desk) -> None:  # type: ignore[no-untyped-def]
    clip = _submit(client, desk, _mark(client, desk, 10, 11, "We will"))  # "We will" | "not raise taxes"
    logged_in(client, ctx, "social_lead", "lead@example.org")
    card = _card(client.get("/review").get_data(as_text=True), clip["id"])
    assert "“not” is said just after the clip ends" in card, card


def test_the_audit_page_lists_who_marked_and_approved_what(client, ctx, desk) -> None:  # type: ignore[no-untyped-def]
    clip = _submit(client, desk, _mark(client, desk, 10, 17, "No tax rises"))
    lead = logged_in(client, ctx, "social_lead", "lead@example.org")
    decided = post_form(client, f"/review/{clip['id']}", {"decision": "approve", "version": clip["version"]})
    assert decided.status_code == 302
    page = html.unescape(client.get("/review/audit").get_data(as_text=True))
    rows = re.findall(r'<tr data-action="([^"]+)">(.*?)</tr>', page, re.S)
    seen = [(action, re.sub(r"<[^>]+>", " ", row)) for action, row in rows]
    assert [a for a, _ in seen] == ["clip.approved", "clip.submitted", "clip.created"], seen
    approved = seen[0][1]
    assert lead.name in approved and "approved" in approved and "No tax rises" in approved
    assert re.search(r"\d\d \w{3} \d{4} \d\d:\d\d:\d\d", approved)
    assert "vol" in seen[2][1] and "marked" in seen[2][1]
    only = client.get("/review/audit?kind=approved").get_data(as_text=True)
    assert only.count('<tr data-action="') == 1
    # volunteers cannot read the log
    volunteer = client.application.test_client()
    logged_in(volunteer, ctx, "volunteer", "other@example.org")
    assert volunteer.get("/review/audit").status_code == 403

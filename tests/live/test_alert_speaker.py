"""Alerts on a speaker: words said by one person only, or (a speaker alone) each time their turn starts;
the speaker is their name or their voice's label; an alert with neither words nor speaker is refused."""

from __future__ import annotations

from clipper.live import alerts
from clipper.models import AlertHit, Recording, Segment
from tests.conftest import make_user
from tests.live.desk_setup import add_words, live_recording

SAID = [("Jo Bloggs", "The minister said the new hospital will open next spring."),
        ("Tom Hale", "We will build the new hospital in Leeds."),
        ("Jo Bloggs", "Taxes will not rise."),
        ("Jo Bloggs", "And the hospital is funded.")]


def test_speaker_alerts_fire_on_that_voice_only(client, ctx) -> None:  # type: ignore[no-untyped-def]
    token = {"Authorization": f"Bearer {make_user(ctx, 'vol@example.org')[1]}"}
    made = {name: client.post("/api/v1/alerts", headers=token, json=body) for name, body in (
        ("hospital by Jo", {"name": "Jo on hospitals", "query": "hospital", "speaker": "jo bloggs"}),
        ("Jo speaks", {"speaker": "Jo Bloggs"}),
        ("by label", {"query": "Leeds", "speaker": "Speaker 2"}))}
    assert all(r.status_code == 201 for r in made.values()), [r.json for r in made.values()]
    assert made["Jo speaks"].json["name"] == "Jo Bloggs"
    refused = client.post("/api/v1/alerts", headers=token, json={"name": "nothing"})
    assert refused.status_code == 400 and "or whose voice" in refused.json["error"]

    rid = live_recording(ctx.sessions)
    at = 1.0
    for who, sentence in SAID:
        add_words(ctx.sessions, rid, sentence, at, speaker=who)
        at += 0.5 * len(sentence.split()) + 1.0
    with ctx.sessions() as session:
        segments = session.query(Segment).filter_by(recording_id=rid).order_by(Segment.idx).all()
        segments[1].speaker_label = "Speaker 2"  # Tom's voice, not yet named
        session.commit()
        alerts.fire(session, session.get(Recording, rid), segments)
        session.commit()
        hits = {(h.alert_id, h.sentence) for h in session.query(AlertHit)}
    ids = {name: r.json["id"] for name, r in made.items()}
    assert hits == {(ids["hospital by Jo"], SAID[0][1]), (ids["hospital by Jo"], SAID[3][1]),
                    (ids["Jo speaks"], SAID[0][1]), (ids["Jo speaks"], SAID[2][1]),  # turn starts, not SAID[3]
                    (ids["by label"], SAID[1][1])}

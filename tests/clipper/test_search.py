"""Full-text search on SQLite FTS5 and PostgreSQL, through save_transcript as the pipeline writes."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import delete, select, text

from clipper import search
from clipper.db import alembic_config, upgrade
from clipper.errors import InvalidInput
from clipper.models import Recording, Segment, Word
from clipper.recordings import create_recording, save_transcript
from clipper.search import Filters
from clipper.transcript import Segment as TSegment
from clipper.transcript import Transcript
from clipper.transcript import Word as TWord
from tests.conftest import PG_URL, _pg_schema_url, engine_for


def transcript(*segments: tuple[float, str, str]) -> Transcript:
    """Segments from (start, text, speaker); words 0.5 s apart."""
    out = []
    for start, text_, speaker in segments:
        words = tuple(TWord(start + i * 0.5, start + i * 0.5 + 0.4, " " + w) for i, w in enumerate(text_.split()))
        out.append(TSegment(start, words[-1].end, " " + text_, words, speaker))
    return Transcript("en", 60.0, tuple(out))


@pytest.fixture
def db(database_url: str):  # type: ignore[no-untyped-def]
    factory = engine_for(database_url)
    with factory() as session:
        inaugural = create_recording(session, title="Inaugural address", channel="BBC One")
        inaugural.aired_at = datetime(2026, 1, 20, 12)
        save_transcript(session, inaugural, transcript(
            (0.0, "And so, my fellow Americans, ask not what your country can do for you,", "Kennedy"),
            (6.0, "ask what you can do for your country.", "Kennedy"),
        ))
        debate = create_recording(session, title="Evening debate", channel="Sky News")
        debate.aired_at = datetime(2026, 3, 1, 19)
        save_transcript(session, debate, transcript(
            (0.0, "Welcome to the debate on the budget.", "Presenter"),
            (4.0, "The countryside needs a well-known plan, not slogans.", "Jane Doe"),
            (9.0, "What would you ask the chancellor about the budget?", "Presenter"),
            (14.0, "José Álvarez says the budget is 3.5 billion short.", "Jane Doe"),
        ))
        session.commit()
        yield session


def texts(results: search.Results) -> list[str]:
    return [h.text.strip() for h in results.hits]


def test_phrase_finds_the_quote_and_the_exact_moment(db) -> None:  # type: ignore[no-untyped-def]
    results = search.search(db, '"ask not what"')
    assert len(results.hits) == 1
    hit = results.hits[0]
    assert hit.recording_title == "Inaugural address" and hit.channel == "BBC One"
    assert hit.moment == 2.5  # "ask" is the 6th word of the segment
    assert hit.url == f"/recordings/{hit.recording_id}?t=2.50&q=%22ask+not+what%22"
    assert "<mark>ask</mark> <mark>not</mark> <mark>what</mark>" in hit.snippet_html
    assert hit.speaker == "Kennedy" and hit.start == 0.0


def test_plain_words_are_all_required_in_any_order(db) -> None:  # type: ignore[no-untyped-def]
    assert texts(search.search(db, "budget chancellor")) == ["What would you ask the chancellor about the budget?"]
    assert len(search.search(db, "budget").hits) == 3
    assert search.search(db, "budget kennedy").hits == ()


def test_prefix_query_matches_word_beginnings(db) -> None:  # type: ignore[no-untyped-def]
    found = texts(search.search(db, "countr*"))
    assert len(found) == 3 and any("countryside" in t for t in found)
    countryside = next(h for h in search.search(db, "countrys*").hits)
    assert "<mark>countryside</mark>" in countryside.snippet_html
    assert countryside.moment == 4.5


def test_punctuation_splits_words_the_same_way_everywhere(db) -> None:  # type: ignore[no-untyped-def]
    assert texts(search.search(db, '"a well-known plan"')) == ["The countryside needs a well-known plan, not slogans."]
    assert len(search.search(db, "JOSÉ Álvarez").hits) == 1
    if db.get_bind().dialect.name == "sqlite":  # PostgreSQL without the unaccent extension keeps accents
        assert len(search.search(db, "jose alvarez").hits) == 1
    assert len(search.search(db, '"3.5 billion"').hits) == 1


def test_filters_by_channel_speaker_and_date(db) -> None:  # type: ignore[no-untyped-def]
    assert len(search.search(db, "ask", Filters(channel="bbc one")).hits) == 2
    assert texts(search.search(db, "ask", Filters(channel="Sky News"))) == [
        "What would you ask the chancellor about the budget?"]
    assert texts(search.search(db, "budget", Filters(speaker="Jane Doe"))) == [
        "José Álvarez says the budget is 3.5 billion short."]
    march = Filters(aired_from=search.parse_date("2026-03-01"), aired_to=search.parse_date("2026-03-01", end=True))
    assert {h.recording_title for h in search.search(db, "ask", march).hits} == {"Evening debate"}
    january = Filters(aired_to=search.parse_date("2026-02-01"))
    assert {h.recording_title for h in search.search(db, "ask", january).hits} == {"Inaugural address"}


def test_date_falls_back_to_when_the_recording_was_added(db) -> None:  # type: ignore[no-untyped-def]
    undated = create_recording(db, title="Undated", channel="BBC One")
    save_transcript(db, undated, transcript((0.0, "The budget again.", "")))
    db.commit()
    today = Filters(aired_from=datetime(2026, 6, 1))
    assert [h.recording_title for h in search.search(db, "budget", today).hits] == ["Undated"]


def test_recent_recordings_rank_first_when_equally_relevant(db) -> None:  # type: ignore[no-untyped-def]
    for title, aired in (("Older", datetime(2025, 1, 1)), ("Newer", datetime(2026, 6, 1))):
        rec = create_recording(db, title=title)
        rec.aired_at = aired
        save_transcript(db, rec, transcript((0.0, "unique phrase about zebras", "")))
    db.commit()
    assert [h.recording_title for h in search.search(db, "zebras").hits] == ["Newer", "Older"]


def test_common_words_rank_among_the_newest_matches(db) -> None:  # type: ignore[no-untyped-def]
    for title, words in (("First added", "zebras zebras zebras"), ("Second", "zebras and a lot of other words here"),
                         ("Third", "zebras with a lot more words said here")):
        save_transcript(db, create_recording(db, title=title), transcript((0.0, words, "")))
    db.commit()
    assert search.search(db, "zebras", limit=1).hits[0].recording_title == "First added"  # most relevant
    newest = search.search(db, "zebras", limit=1, window=2)  # ranks only the two newest matches
    assert newest.hits[0].recording_title in ("Second", "Third") and newest.has_more


def test_paging(db) -> None:  # type: ignore[no-untyped-def]
    first = search.search(db, "budget", limit=2)
    second = search.search(db, "budget", limit=2, offset=2)
    assert first.has_more and not second.has_more
    assert len(first.hits) == 2 and len(second.hits) == 1
    assert {h.segment_id for h in first.hits}.isdisjoint(h.segment_id for h in second.hits)


ENGINE_SYNTAX = [
    'ask" OR "budget', "budget NEAR(ask)", "text:budget", "budget AND NOT ask", "budget'); DROP TABLE segments;--",
    "budget & !ask", "budget | ask", "ask <-> not", "(budget", "^budget", "budget:*", "{text}: budget", "'budget'",
    "budget\\", "-budget", "+ask",
]


def test_query_syntax_from_users_is_only_words(db) -> None:  # type: ignore[no-untyped-def]
    for q in ENGINE_SYNTAX:
        results = search.search(db, q)  # never an SQL or FTS syntax error
        for hit in results.hits:
            assert all(tok in search.tokens(hit.text) for term in results.query.terms for tok in term.tokens), q
    assert len(search.search(db, "budget AND NOT ask").hits) == 0  # "and", "not" are words to find, too
    assert db.scalar(select(Segment).limit(1)) is not None


def test_unbalanced_quote_runs_to_the_end(db) -> None:  # type: ignore[no-untyped-def]
    assert len(search.search(db, '"ask not').hits) == 1


@pytest.mark.parametrize("q", ["", "   ", "?!.,;", '""', '"', "*", "a*", "x" * 501, " ".join(f"w{i}" for i in range(17))])
def test_nothing_sensible_to_search_for_gets_a_clear_message(q: str) -> None:
    with pytest.raises(InvalidInput) as err:
        search.parse_query(q)
    assert err.value.expected and err.value.message


def test_edited_words_are_found_after_reindex(db) -> None:  # type: ignore[no-untyped-def]
    segment = db.scalar(select(Segment).where(Segment.text.contains("José")))
    word = db.scalar(select(Word).where(Word.segment_id == segment.id, Word.text == " budget"))
    word.edited_text = "deficit"
    assert search.reindex_segment(db, segment) == "José Álvarez says the deficit is 3.5 billion short."
    db.commit()
    hits = search.search(db, "deficit").hits
    assert len(hits) == 1 and hits[0].moment == word.start
    assert len(search.search(db, "budget").hits) == 2


def test_deleting_and_replacing_transcripts_keeps_the_index_in_step(db) -> None:  # type: ignore[no-untyped-def]
    debate = db.scalar(select(Recording).where(Recording.title == "Evening debate"))
    save_transcript(db, debate, transcript((0.0, "A fresh transcript about pensions.", "")))
    db.commit()
    assert search.search(db, "budget").hits == ()
    assert len(search.search(db, "pensions").hits) == 1
    db.execute(delete(Recording).where(Recording.id == debate.id))
    db.commit()
    assert search.search(db, "pensions").hits == ()


def test_parse_date_refuses_nonsense() -> None:
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        search.parse_date("last tuesday")
    assert search.parse_date("2026-01-02T10:00:00+01:00") == datetime(2026, 1, 2, 9)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path):  # type: ignore[no-untyped-def]
    """A database with no tables yet, to migrate step by step."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'steps.db'}"
        return
    if not PG_URL:
        pytest.skip("CLIPPER_TEST_DATABASE_URL is not set (PostgreSQL runs in CI)")
    schemas = _pg_schema_url(PG_URL)
    yield next(schemas)
    next(schemas, None)


def test_upgrading_indexes_transcripts_already_stored(empty_database_url: str) -> None:
    url = empty_database_url
    upgrade(url, "0001")
    factory = engine_for(url)
    with factory() as session:
        session.execute(text("INSERT INTO recordings (id, title, source, source_url, channel, programme, duration, "
                             "status, progress, error, original_key, proxy_key, audio_key, peaks_key, poster_key, "
                             "probe, language, created_at, updated_at) VALUES (1, 'Old', 'upload', '', '', '', 0, "
                             "'ready', 1, '', '', '', '', '', '', '{}', 'en', '2026-01-01', '2026-01-01')"))
        session.execute(text("INSERT INTO segments (id, recording_id, idx, start, \"end\", text, speaker) "
                             "VALUES (1, 1, 0, 0, 2, 'Transcribed before search existed', '')"))
        session.commit()
    upgrade(url, "0002")
    with factory() as session:
        assert [h.text for h in search.search(session, "before search").hits] == ["Transcribed before search existed"]
    command.downgrade(alembic_config(url), "0001")
    upgrade(url, "0002")  # down and up again: the index is rebuilt, not duplicated
    with factory() as session:
        assert len(search.search(session, "transcribed").hits) == 1
    factory.kw["bind"].dispose()

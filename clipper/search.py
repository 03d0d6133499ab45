"""Full-text search across every transcript: SQLite FTS5 or PostgreSQL full-text.

A volunteer's query is parsed here into terms — plain words (all must appear), quoted phrases
(``"ask not what"``) and prefixes (``countr*``) — and only those parsed tokens, which hold nothing but
letters and digits, are put into the FTS5 ``MATCH`` string or the ``tsquery``, always as a bound
parameter. Operators the engines know (``OR``, ``NEAR``, ``:``, ``&``, ``!``) are just words or
separators to us, so no query can change the SQL or the FTS syntax, and none can fail inside it.

Hits come back best first (BM25 / ``ts_rank``, then the most recently aired), each with a snippet with
the matched words marked and the exact moment: the start of the first matched word, looked up in the
recording's timed words. Ranking is over the newest ``RANK_WINDOW`` matches (after filters): for a
rapid-response team the newest mentions matter most, and it bounds the cost of a word that is in
every other segment (1,000 hours of transcripts: see ``bench/search.py``). The index is on ``segments.text``; after a volunteer edits words, call
``reindex_segment`` so the segment's text (and with it the index) follows the edit.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import DateTime, bindparam, select, text
from sqlalchemy.orm import Session

from clipper.errors import InvalidInput
from clipper.models import Segment, Word

MAX_QUERY_CHARS = 500
MAX_TERMS = 16
MAX_LIMIT = 100
MAX_OFFSET = 10_000
MIN_PREFIX = 2
RANK_WINDOW = 1000  # matches ranked per query, newest first: keeps common words as fast as rare ones
SNIPPET_WORDS = 30

_TOKEN = re.compile(r"[^\W_]+")  # runs of letters and digits, as FTS5's unicode61 and our Postgres expression split
_CHUNK = re.compile(r'"([^"]*)("?)|([^\s"]+)')


@dataclass(frozen=True)
class Term:
    """Tokens that must appear next to each other, in order; ``prefix``: the last one may continue."""

    tokens: tuple[str, ...]  # folded (lower case, no diacritics), as FTS5 indexes them
    prefix: bool = False
    lexemes: tuple[str, ...] = ()  # lower case only, as PostgreSQL's `simple` configuration indexes them


@dataclass(frozen=True)
class Query:
    text: str
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class Filters:
    channel: str = ""
    speaker: str = ""
    aired_from: datetime | None = None  # inclusive
    aired_to: datetime | None = None  # exclusive


@dataclass(frozen=True)
class Hit:
    recording_id: int
    recording_title: str
    channel: str
    aired_at: datetime | None
    segment_id: int
    start: float
    end: float
    speaker: str
    text: str
    snippet_html: str  # escaped text, matched words in <mark>
    moment: float  # start of the first matched word
    url: str


@dataclass(frozen=True)
class Results:
    query: Query
    hits: tuple[Hit, ...] = field(default_factory=tuple)
    offset: int = 0
    limit: int = 20
    has_more: bool = False


def fold(token: str) -> str:
    """Lower case without diacritics: ``José`` -> ``jose`` (what FTS5's ``remove_diacritics 2`` does)."""
    if token.isascii():
        return token.lower()
    decomposed = unicodedata.normalize("NFKD", token.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text_: str) -> list[str]:
    return [fold(t) for t in _TOKEN.findall(text_)]


def parse_query(q: str) -> Query:
    """Parse a volunteer's query. Raises ``InvalidInput`` with a message when there is nothing to search."""
    q = (q or "").strip()
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidInput(f"That search is too long: keep it under {MAX_QUERY_CHARS} characters.")
    terms: list[Term] = []
    for quoted, _closing, bare in _CHUNK.findall(q):
        # A missing closing quote is forgiven: the phrase runs to the end of the query.
        raw = quoted if quoted or not bare else bare
        found = _TOKEN.findall(raw)
        if not found:
            continue
        prefix = raw.rstrip().endswith("*")
        if prefix and len(found[-1]) < MIN_PREFIX:
            raise InvalidInput(f"Type at least {MIN_PREFIX} letters before * (like countr*).")
        term = Term(tuple(fold(t) for t in found), prefix, tuple(t.lower() for t in found))
        if term not in terms:
            terms.append(term)
    if not terms:
        raise InvalidInput('Type a word or a phrase to search for, like: budget "ask not what" countr*')
    if len(terms) > MAX_TERMS:
        raise InvalidInput(f"That search has too many parts: use at most {MAX_TERMS} words or phrases.")
    return Query(q, tuple(terms))


def fts5_match(query: Query) -> str:
    """The FTS5 MATCH string: every term a quoted phrase (tokens are letters and digits only)."""
    return " ".join('"' + " ".join(t.tokens) + '"' + ("*" if t.prefix else "") for t in query.terms)


def tsquery(query: Query) -> str:
    """The ``to_tsquery('simple', ...)`` text: lexemes quoted, ``<->`` within phrases, ``&`` between terms."""
    parts = []
    for term in query.terms:
        lexemes = ["'" + tok + "'" for tok in term.lexemes or term.tokens]
        if term.prefix:
            lexemes[-1] += ":*"
        parts.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)


def parse_date(value: str, *, end: bool = False) -> datetime | None:
    """``YYYY-MM-DD`` or an ISO date-time. A bare date as the end of a range includes that whole day."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day) + (timedelta(days=1) if end else timedelta())
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date: use YYYY-MM-DD, like 2026-11-23.") from None
    if parsed.tzinfo is not None:  # stored times are naive UTC
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def search(session: Session, q: str, filters: Filters = Filters(), *, limit: int = 20, offset: int = 0,
           window: int = RANK_WINDOW) -> Results:
    """Search every transcript for ``q``: best first, then most recently aired.

    Ranking looks at the newest ``window`` matching segments (after filters), so a very common word
    costs no more than a rare one; below that many matches the ranking is over all of them.
    """
    query = parse_query(q)
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    if offset > MAX_OFFSET:  # past this nobody is paging; a huge one overflows the database's integers
        raise InvalidInput(f"'offset' is too large: at most {MAX_OFFSET}. Narrow the search instead.")
    dialect = session.get_bind().dialect.name
    sql, params = (_sqlite_sql if dialect == "sqlite" else _postgres_sql)(query, filters)
    params.update(limit=limit + 1, offset=offset, window=max(window, offset + limit + 1))
    statement = text(sql).bindparams(*(bindparam(k, type_=DateTime()) for k in ("aired_from", "aired_to") if k in params))
    rows = session.execute(statement, params).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    words = _words_by_segment(session, [r.segment_id for r in rows])
    hits = tuple(_hit(query, row, words.get(row.segment_id, [])) for row in rows)
    return Results(query=query, hits=hits, offset=offset, limit=limit, has_more=has_more)


_COLUMNS = (
    "s.id AS segment_id, s.start, s.\"end\", s.text, s.speaker, r.id AS recording_id, r.title, r.channel, "
    "r.aired_at, coalesce(r.aired_at, r.created_at) AS aired"
)


def _filter_sql(filters: Filters, params: dict[str, object]) -> str:
    where = ""
    if filters.channel.strip():
        where += " AND lower(r.channel) = lower(:channel)"
        params["channel"] = filters.channel.strip()
    if filters.speaker.strip():
        where += " AND lower(s.speaker) = lower(:speaker)"
        params["speaker"] = filters.speaker.strip()
    if filters.aired_from is not None:
        where += " AND coalesce(r.aired_at, r.created_at) >= :aired_from"
        params["aired_from"] = filters.aired_from
    if filters.aired_to is not None:
        where += " AND coalesce(r.aired_at, r.created_at) < :aired_to"
        params["aired_to"] = filters.aired_to
    return where


def _sqlite_sql(query: Query, filters: Filters) -> tuple[str, dict[str, object]]:
    # FTS5 hands matches over newest first (rowid order) and stops at the window, so bm25 is only
    # computed for the window's rows.
    params: dict[str, object] = {"match": fts5_match(query)}
    sql = (
        f"SELECT * FROM (SELECT {_COLUMNS}, bm25(segments_fts) AS score FROM segments_fts f "
        "JOIN segments s ON s.id = f.rowid JOIN recordings r ON r.id = s.recording_id "
        "WHERE segments_fts MATCH :match" + _filter_sql(filters, params) + " ORDER BY f.rowid DESC LIMIT :window) "
        "ORDER BY score, aired DESC, segment_id LIMIT :limit OFFSET :offset"
    )
    return sql, params


def _postgres_sql(query: Query, filters: Filters) -> tuple[str, dict[str, object]]:
    # "OFFSET 0" keeps the GIN lookup on its own: without it the planner, which cannot estimate the
    # channel and date filters, may repeat the lookup once per matching recording.
    params: dict[str, object] = {"tsquery": tsquery(query)}
    sql = (
        f"SELECT w.*, ts_rank(w.search_vector, q) AS score FROM (SELECT {_COLUMNS}, s.search_vector "
        "FROM (SELECT * FROM segments WHERE search_vector @@ to_tsquery('simple', :tsquery) OFFSET 0) AS s "
        "JOIN recordings r ON r.id = s.recording_id WHERE TRUE" + _filter_sql(filters, params)
        + " ORDER BY s.id DESC LIMIT :window) AS w, to_tsquery('simple', :tsquery) AS q "
        "ORDER BY score DESC, aired DESC, segment_id LIMIT :limit OFFSET :offset"
    )
    return sql, params


def _words_by_segment(session: Session, segment_ids: list[int]) -> dict[int, list[tuple[float, str]]]:
    """(start, text as it now reads) of each word, by segment: plain rows, a page of hits is ~500 words."""
    by_segment: dict[int, list[tuple[float, str]]] = {}
    if segment_ids:
        rows = session.execute(
            select(Word.segment_id, Word.start, Word.text, Word.edited_text)
            .where(Word.segment_id.in_(segment_ids)).order_by(Word.segment_id, Word.idx)
        )
        for segment_id, start, recognised, edited in rows:
            by_segment.setdefault(segment_id, []).append((start, recognised if edited is None else edited))
    return by_segment


def _matches(query: Query, toks: list[str]) -> list[tuple[int, int]]:
    """(first, last) token positions of every occurrence of every term, in order."""
    spans = []
    for term in query.terms:
        n = len(term.tokens)
        for i in range(len(toks) - n + 1):
            window = toks[i:i + n]
            if window[:-1] == list(term.tokens[:-1]) and (
                window[-1].startswith(term.tokens[-1]) if term.prefix else window[-1] == term.tokens[-1]
            ):
                spans.append((i, i + n - 1))
    return sorted(spans)


def _moment(query: Query, words: list[tuple[float, str]], fallback: float) -> float:
    starts: list[float] = []  # the start of the word each token came from
    toks: list[str] = []
    for start, word in words:
        for tok in tokens(word):
            toks.append(tok)
            starts.append(start)
    spans = _matches(query, toks)
    return round(starts[spans[0][0]], 3) if spans else fallback


def snippet_html(query: Query, text_: str, width: int = SNIPPET_WORDS) -> str:
    """The text around the first match, HTML-escaped, matched words wrapped in ``<mark>``."""
    found = list(_TOKEN.finditer(text_))
    spans = _matches(query, [fold(m.group()) for m in found])
    marked = {i for first, last in spans for i in range(first, last + 1)}
    if not found:
        return html.escape(text_)
    first = max(0, (spans[0][0] if spans else 0) - width // 3)
    last = min(len(found), first + width)
    first = max(0, last - width)
    start_char = 0 if first == 0 else found[first].start()
    end_char = len(text_) if last == len(found) else found[last - 1].end()
    out = ["…" if first > 0 else ""]
    pos = start_char
    for i in range(first, last):
        m = found[i]
        out.append(html.escape(text_[pos:m.start()]))
        word = html.escape(m.group())
        out.append(f"<mark>{word}</mark>" if i in marked else word)
        pos = m.end()
    out.append(html.escape(text_[pos:end_char]))
    out.append("…" if last < len(found) else "")
    return "".join(out).strip()


def moment_url(recording_id: int, seconds: float, q: str) -> str:
    return f"/recordings/{recording_id}?" + urlencode({"t": f"{seconds:.2f}", "q": q})


def _hit(query: Query, row, words: list[tuple[float, str]]) -> Hit:  # type: ignore[no-untyped-def]
    moment = _moment(query, words, fallback=round(row.start, 3))
    return Hit(
        recording_id=row.recording_id, recording_title=row.title, channel=row.channel,
        aired_at=_as_datetime(row.aired_at), segment_id=row.segment_id, start=row.start, end=row.end,
        speaker=row.speaker or "", text=row.text, snippet_html=snippet_html(query, row.text), moment=moment,
        url=moment_url(row.recording_id, moment, query.text),
    )


def _as_datetime(value: object) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))  # SQLite returns text from a raw query


def reindex_segment(session: Session, segment: Segment) -> str:
    """Make ``segment.text`` the words as they now read (a volunteer's fixes applied) and re-index it.

    Call after editing words. The database keeps the index in step with the text (FTS5 triggers on
    SQLite, a generated column on PostgreSQL); this only has to write the text. Returns the new text.
    """
    words = session.scalars(select(Word).where(Word.segment_id == segment.id).order_by(Word.idx)).all()
    if words:
        new_text = " ".join(w.display.strip() for w in words if w.display.strip())
        if new_text != segment.text:
            segment.text = new_text
            session.flush()
    return segment.text


def rebuild_index(session: Session) -> None:
    """Rebuild the whole index from ``segments`` (SQLite; PostgreSQL's generated column needs nothing)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO segments_fts(segments_fts) VALUES ('rebuild')"))

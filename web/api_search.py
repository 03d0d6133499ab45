"""Search across every transcript: ``GET /api/v1/search?q=...`` (any logged-in user)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from clipper import search
from clipper.errors import InvalidInput
from web.db import session

bp = Blueprint("api_search", __name__, url_prefix="/api/v1")


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"'{name}' must be a whole number.") from None


@bp.get("/search")
def search_transcripts() -> Any:
    args = request.args
    filters = search.Filters(
        channel=args.get("channel", ""), speaker=args.get("speaker", ""),
        aired_from=search.parse_date(args.get("from", "")), aired_to=search.parse_date(args.get("to", ""), end=True),
    )
    results = search.search(session(), args.get("q", ""), filters, limit=_int_arg("limit", 20),
                            offset=_int_arg("offset", 0))
    return jsonify(
        query=results.query.text, offset=results.offset, limit=results.limit, has_more=results.has_more,
        hits=[_hit(h) for h in results.hits],
    )


def _hit(hit: search.Hit) -> dict[str, Any]:
    return {
        "recording": {"id": hit.recording_id, "title": hit.recording_title, "channel": hit.channel,
                      "aired_at": hit.aired_at.isoformat() + "Z" if hit.aired_at else None},
        "segment": {"id": hit.segment_id, "start": hit.start, "end": hit.end, "speaker": hit.speaker or None,
                    "text": hit.text},
        "snippet_html": hit.snippet_html, "moment": hit.moment, "url": hit.url,
    }

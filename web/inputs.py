"""What every request's input must be before a view sees it: JSON of sane depth, text without NUL bytes.

A JSON body nested 100,000 levels deep made the parser raise ``RecursionError`` (a 500); a NUL byte in
a form field or query reaches PostgreSQL, which refuses it (another 500). Both are a caller's mistake:
they get a 400 with the reason. Views still validate their own fields.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, flash, redirect, request, url_for
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

from clipper.errors import ClipperError

MAX_DEPTH = 32  # Clipper's own bodies are 3 levels deep
NUL_MESSAGE = "The request contains a NUL byte (\\u0000), which no field can hold: remove it and try again."


class JSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            data = super().loads(s, **kwargs)
        except RecursionError:
            raise BadRequest(f"The JSON is nested too deeply: at most {MAX_DEPTH} levels.") from None
        _check(data)
        return data


def _check(data: Any) -> None:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            stack.extend((k, depth) for k in value)
            children = value.values()
        elif isinstance(value, list):
            children = value  # type: ignore[assignment]
        else:
            if isinstance(value, str) and "\x00" in value:
                raise BadRequest(NUL_MESSAGE)
            continue
        if depth > MAX_DEPTH:
            raise BadRequest(f"The JSON is nested too deeply: at most {MAX_DEPTH} levels.")
        stack.extend((child, depth + 1) for child in children)


def _refuse_nul() -> None:
    """Query strings and plain forms (multipart bodies stream to disk and are checked by their views)."""
    fields = list(request.args.values())
    if request.mimetype == "application/x-www-form-urlencoded":
        fields += request.form.values()
    if any("\x00" in value for value in fields):
        raise BadRequest(NUL_MESSAGE)


def init_app(app: Flask) -> None:
    app.json = JSONProvider(app)
    app.before_request(_refuse_nul)


def form_or_json() -> dict[str, Any]:
    """The request's fields: a JSON object (API) or the form (pages); anything else reads as no fields."""
    data = (request.get_json(silent=True) if request.is_json else request.form.to_dict()) or {}
    return data if isinstance(data, dict) else {}


def refused(exc: ClipperError, page: str) -> Any:
    """A field refused: an API call gets the error itself (raised again); a form goes back to ``page``
    with the message shown there."""
    if request.is_json:
        raise exc
    flash(exc.message)
    return redirect(url_for(page))

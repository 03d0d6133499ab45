"""The search page: one box across every transcript, and each volunteer's saved searches."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from clipper import search as search_service
from clipper.errors import InvalidInput, NotFound
from clipper.models import SavedSearch
from web.db import session

bp = Blueprint("search_pages", __name__)

MAX_QUERY = 200
LIMIT = 30


def _results(query: str) -> search_service.Results:
    channel = request.args.get("channel", "").strip()[:200]
    try:
        offset = max(0, int(request.args.get("offset", "0")))
    except ValueError:
        offset = 0
    return search_service.search(session(), query, search_service.Filters(channel=channel), limit=LIMIT,
                                 offset=offset)


@bp.get("/search")
def search() -> Any:
    query = request.args.get("q", "").strip()
    results, error = None, ""
    if query:
        try:
            results = _results(query)
        except InvalidInput as exc:  # a query we can't run: say why beside the box
            error = exc.message
    saved = session().scalars(select(SavedSearch).where(SavedSearch.user_id == current_user.id)
                              .order_by(SavedSearch.name, SavedSearch.id)).all()
    return render_template("search.html", query=query, results=results, error=error, saved=saved,
                           Markup=Markup), 400 if error else 200


@bp.post("/search/saved")
def save() -> Any:
    query = request.form.get("q", "").strip()
    name = request.form.get("name", "").strip() or query
    if not query:
        raise InvalidInput("Search for something first, then save it.")
    if len(query) > MAX_QUERY or len(name) > 200:
        raise InvalidInput("That search is too long to save.")
    db = session()
    db.add(SavedSearch(user_id=current_user.id, name=name, query=query))
    db.commit()
    flash(f"Saved the search “{name}”.")
    return redirect(url_for("search_pages.search", q=query))


@bp.post("/search/saved/<int:saved_id>/delete")
def delete(saved_id: int) -> Any:
    db = session()
    saved = db.get(SavedSearch, saved_id)
    if saved is None or saved.user_id != current_user.id:
        raise NotFound("There is no such saved search.")
    db.delete(saved)
    db.commit()
    flash(f"Removed the saved search “{saved.name}”.")
    return redirect(url_for("search_pages.search"))

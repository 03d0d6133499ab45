"""THE ROLE MATRIX: every route, and the least role that may reach it.

Adding a route means adding it here: the test fails for a route that isn't listed. Levels:
``public`` (anyone, no login), ``volunteer`` (anyone logged in), ``social_lead`` (approval and
scheduling), ``admin``. Roles are ranked: social leads can do what volunteers can, admins everything.
Anonymous users reach only login, the password-link page, /healthz, signed /files URLs, static assets
and the tus capability probe, and the public gallery (``/``, clip pages, embeds, oEmbed, feeds).
"""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.routing import Rule

from tests.conftest import make_user
from web.auth import PUBLIC_ATTR, ROLES_ATTR

MATRIX: dict[str, str] = {
    # public
    "pages.login": "public",
    "pages.set_password": "public",
    "health.healthz": "public",
    "files.serve": "public",  # signed URLs: the signature is the permission
    "static": "public",
    "favicon.icon": "public",  # the site's icon, nothing private
    "tus.capabilities": "public",  # OPTIONS: what the upload server supports, no data
    "gallery.index": "public",  # the supporters' gallery: published clips only
    "gallery.clip": "public",
    "public_media.media": "public",
    "public_media.download": "public",
    "public_media.share": "public",
    "embed.embed": "public",
    "embed.oembed": "public",
    "feeds.atom": "public",
    "feeds.rss": "public",
    "metrics.scrape": "public",  # checks its own access: CLIPPER_METRICS_TOKEN, an admin, or loopback
    # any logged-in user
    "pages.index": "volunteer",
    "pages.logout": "volunteer",
    "recordings.index": "volunteer",
    "recordings.add": "volunteer",
    "search_pages.search": "volunteer",
    "search_pages.save": "volunteer",
    "search_pages.delete": "volunteer",
    "clip_lists.all_clips": "volunteer",
    "clip_lists.mine": "volunteer",
    "clip_lists.delete": "volunteer",  # own draft or rejected clips only (checked in the view)
    "clip_lists.api_delete": "volunteer",  # the same, for scripts
    "recording_details.edit": "volunteer",  # who added it, social leads and admins (checked in the view)
    "recording_details.save": "volunteer",
    "recording_page.page": "volunteer",
    "recording_page.words": "volunteer",
    "recording_page.recording_clips": "volunteer",
    "recording_page.create_clip": "volunteer",
    "recording_page.update_clip": "volunteer",
    "recording_page.submit_clip": "volunteer",
    "recording_page.speakers": "volunteer",
    "recording_page.name_speaker": "volunteer",
    "recording_page.name_speaker_form": "volunteer",
    "api.list_recordings": "volunteer",
    "api.create_recording": "volunteer",
    "api.get_recording": "volunteer",
    "api.get_transcript": "volunteer",
    "api.create_clip": "volunteer",
    "api.list_clips": "volunteer",
    "api.get_clip": "volunteer",
    "api.preview_clip": "volunteer",  # and only on their own clip (OWNERSHIP below)
    "api.job_status": "volunteer",
    "api_search.search_transcripts": "volunteer",
    "api_transcripts.export_transcript": "volunteer",
    "api_transcripts.fix_word": "volunteer",
    "tus.create": "volunteer",
    "tus.status": "volunteer",
    "tus.append": "volunteer",
    "tus.terminate": "volunteer",
    "live.page": "volunteer",
    "live.list_sources": "volunteer",
    "live.playlist": "volunteer",
    "live.segment": "volunteer",
    "live.fragments": "volunteer",
    "live_timer.page": "volunteer",
    "live_timer.api": "volunteer",
    "alerts.page": "volunteer",
    "alerts.create": "volunteer",
    "alerts.delete": "volunteer",  # the owner's (or an admin's); anyone else gets 404
    "alerts.hits": "volunteer",  # hits of the caller's own alerts only
    # social leads
    "review.queue": "social_lead",
    "review.decide": "social_lead",
    "review.approve": "social_lead",
    "review.reject": "social_lead",
    "review.render_again": "social_lead",
    "api.render_clip": "social_lead",  # render an approved clip again; public renders come only from review
    "api_transcripts.queue_transcription": "social_lead",
    "api_transcripts.cancel_transcription": "social_lead",
    "publishing.withdraw_form": "social_lead",
    "publishing.republish_form": "social_lead",
    "publishing.withdraw": "social_lead",
    "publishing.republish": "social_lead",
    "audit.log": "social_lead",
    "live.create": "social_lead",
    "live.start": "social_lead",
    "live.stop": "social_lead",
    "live.schedule": "social_lead",
    "posting.compose_page": "social_lead",
    "posting.schedule": "social_lead",
    "posting.calendar": "social_lead",
    "posting.reschedule": "social_lead",
    "posting.cancel": "social_lead",
    "posting.post_now": "social_lead",
    "posting.confirm": "social_lead",
    # admins
    "admin.home": "admin",
    "recording_details.confirm_delete": "admin",
    "recording_details.delete": "admin",
    "system.page": "admin",
    "system.retry": "admin",
    "system.delete": "admin",
    "channels.index": "admin",
    "channels.add": "admin",
    "channels.check": "admin",
    "channels.edit": "admin",
    "branding.edit": "admin",
    "branding.save": "admin",
    "branding.preview": "admin",
    "admin.users": "admin",
    "admin.invite": "admin",
    "admin.change_role": "admin",
    "admin.set_active": "admin",
    "admin.reset_link": "admin",
    "admin.people": "admin",
    "admin.add_person": "admin",
    "admin.edit_person": "admin",
    "admin.glossary": "admin",
    "admin.save_glossary": "admin",
    "api_transcripts.get_glossary": "admin",
    "api_transcripts.put_glossary": "admin",
}
RANK = {"volunteer": 0, "social_lead": 1, "admin": 2}
ROLES = tuple(RANK)


def _rules(app: Any) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule))


def _methods(rule: Rule) -> list[str]:
    methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    return methods or sorted(rule.methods or set())  # a route that only answers HEAD or OPTIONS


def _url(app: Any, rule: Rule) -> str:
    values: dict[str, Any] = {}
    for arg in rule.arguments:
        converter = rule._converters.get(arg)  # noqa: SLF001
        values[arg] = 999_999 if type(converter).__name__ == "IntegerConverter" else "srt" if arg == "fmt" else "x"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _is_login_wall(response: Any) -> bool:
    if response.status_code == 401:
        return True
    return response.status_code in (301, 302, 303) and "/login" in response.headers.get("Location", "")


def test_every_route_is_in_the_matrix(app) -> None:  # type: ignore[no-untyped-def]
    endpoints = {rule.endpoint for rule in _rules(app)}
    missing = sorted(endpoints - set(MATRIX))
    assert not missing, f"Add these routes to MATRIX in {__file__} with the least role that may reach them: {missing}"


def test_views_declare_what_the_matrix_says(app) -> None:  # type: ignore[no-untyped-def]
    for endpoint, view in app.view_functions.items():
        expected = MATRIX.get(endpoint)
        if expected is None:
            continue
        is_public = getattr(view, PUBLIC_ATTR, False)
        assert is_public == (expected == "public"), f"{endpoint}: @public is {is_public}, matrix says {expected}"
        if expected in ("social_lead", "admin"):
            roles = getattr(view, ROLES_ATTR, ())
            assert roles and min(RANK[r] for r in roles) == RANK[expected], \
                f"{endpoint} needs @role_required({expected!r}); it declares {roles}"


def test_anonymous_reaches_only_public_routes(app) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    for rule in _rules(app):
        url = _url(app, rule)
        for method in _methods(rule):
            response = client.open(url, method=method)
            if MATRIX.get(rule.endpoint) == "public":
                assert not _is_login_wall(response), f"{method} {url} should be public"
            else:
                assert _is_login_wall(response), f"anonymous {method} {url} got {response.status_code}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_routes(app, ctx, role: str) -> None:  # type: ignore[no-untyped-def]
    """Denied routes answer 403 before doing anything; allowed GET routes don't (ids that don't exist
    give 404, which is fine). Unsafe methods are tried only where they must be refused."""
    _, token = make_user(ctx, f"{role}@example.org", role)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    client = app.test_client()
    for rule in _rules(app):
        need = MATRIX[rule.endpoint]
        if need == "public":
            continue  # covered by the anonymous test (signed /files URLs refuse bad signatures with 403)
        allowed = RANK[role] >= RANK[need]
        url = _url(app, rule)
        for method in _methods(rule):
            if allowed and method not in ("GET", "HEAD"):
                continue
            response = client.open(url, method=method, headers=headers)
            if allowed:
                assert response.status_code not in (401, 403) and not _is_login_wall(response), \
                    f"{role} should reach {method} {url}; got {response.status_code}"
            else:
                assert response.status_code == 403, f"{role} must not reach {method} {url}; got {response.status_code}"


def test_volunteer_is_refused_admin_pages_in_the_browser_session(client, ctx) -> None:  # type: ignore[no-untyped-def]
    from tests.web.forms import logged_in

    logged_in(client, ctx, "volunteer")
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "permission" in response.get_data(as_text=True)
    assert "/admin/users" not in client.get("/recordings").get_data(as_text=True)  # no Admin link either


# --- OWNERSHIP: routes that act on one person's object, and whose object it must be ---------------------
# Generated from the URL map like the matrix above: every route below admin level that names a clip,
# recording, upload or saved search must be listed. ``owner``: its maker, and social leads and admins;
# ``self``: only its maker (uploads in progress, saved searches); ``shared``: anyone logged in (recordings
# and their transcripts are the team's common material); ``lead``: the role check covers it.
OWNERSHIP: dict[str, str] = {
    "api.get_clip": "shared",
    "api.preview_clip": "owner",
    "api.render_clip": "lead",
    "recording_page.update_clip": "owner",
    "recording_page.submit_clip": "owner",
    "review.decide": "lead",
    "review.approve": "lead",
    "review.reject": "lead",
    "review.render_again": "lead",
    "api.get_recording": "shared",
    "api.get_transcript": "shared",
    "recording_page.page": "shared",
    "recording_page.words": "shared",
    "live.playlist": "shared",
    "live.segment": "shared",
    "live.fragments": "shared",
    "recording_page.recording_clips": "shared",
    "recording_page.create_clip": "shared",
    "api_transcripts.export_transcript": "shared",
    "api_transcripts.fix_word": "shared",
    "recording_page.speakers": "shared",
    "recording_page.name_speaker": "shared",  # naming who speaks is transcript work, like fixing a word
    "recording_page.name_speaker_form": "shared",
    "api_transcripts.queue_transcription": "lead",
    "api_transcripts.cancel_transcription": "lead",
    "tus.status": "self",
    "tus.append": "self",
    "tus.terminate": "self",
    "search_pages.delete": "self",
    "alerts.delete": "self",  # and admins
    "clip_lists.delete": "self",  # a draft or rejected clip: its maker, and admins
    "clip_lists.api_delete": "self",
    "recording_details.edit": "owner",
    "recording_details.save": "owner",
}
DELETES_THE_CLIP = ("clip_lists.delete", "clip_lists.api_delete")
OBJECT_ARGS = {"clip_id", "recording_id", "upload_id", "saved_id", "alert_id"}


def test_every_route_on_someones_object_says_whose_it_must_be(app) -> None:  # type: ignore[no-untyped-def]
    # routes for leads and admins act on anyone's objects: their role check is the whole check
    named = {r.endpoint for r in _rules(app) if set(r.arguments) & OBJECT_ARGS and MATRIX[r.endpoint] == "volunteer"}
    missing = sorted(named - set(OWNERSHIP))
    assert not missing, f"Add these routes to OWNERSHIP in {__file__} (owner, self, shared or lead): {missing}"


def _objects_of(ctx, client, headers) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A ready recording (with a stored live segment), a draft clip, an upload in progress, a saved search
    and an alert, all one volunteer's."""
    from datetime import datetime

    from clipper.models import LiveSegment, Recording, SavedSearch
    from tests.web.team import ready_recording

    rid = ready_recording(ctx.sessions)
    ctx.store.put_bytes(f"recordings/{rid}/live/000000.ts", b"\x47" * 188)
    with ctx.sessions() as db:
        db.get(Recording, rid).created_by_id = int(headers["X-User"])
        db.add(LiveSegment(recording_id=rid, idx=0, start=0.0, duration=6.0, aired_at=datetime(2026, 12, 3, 12),
                           storage_key=f"recordings/{rid}/live/000000.ts"))
        db.add(saved := SavedSearch(user_id=int(headers["X-User"]), name="hospital", query="hospital"))
        db.commit()
        saved_id = saved.id
    clip = client.post(f"/api/v1/recordings/{rid}/clips", headers=headers,
                       json={"start": 1.0, "end": 2.9, "title": "Mine", "presets": ["landscape"]})
    assert clip.status_code == 201, clip.json
    upload = client.post("/api/v1/uploads", headers={**headers, "Tus-Resumable": "1.0.0", "Upload-Length": "10"})
    assert upload.status_code == 201
    alert = client.post("/api/v1/alerts", headers=headers, json={"name": "NHS", "query": "hospital"})
    assert alert.status_code == 201, alert.json
    return {"clip_id": clip.json["id"], "recording_id": rid, "saved_id": saved_id, "idx": 0, "fmt": "srt",
            "alert_id": alert.json["id"],
            "upload_id": upload.headers["Location"].rsplit("/", 1)[-1], "version": clip.json["version"]}


def test_volunteers_reach_only_their_own_objects(app, ctx) -> None:  # type: ignore[no-untyped-def]
    """Volunteer B tries every method of every object route on volunteer A's things, then a lead does,
    then A. B is refused (403, or 404 where an object's existence is private) on ``owner`` and ``self``
    routes; the lead only on ``self`` ones; A never."""
    from flask import url_for

    people = {}
    for name, role in (("ann", "volunteer"), ("bob", "volunteer"), ("lee", "social_lead")):
        user, token = make_user(ctx, f"{name}@example.org", role)
        people[name] = {"Authorization": f"Bearer {token}", "Accept": "application/json", "X-User": str(user.id),
                        "Tus-Resumable": "1.0.0"}
    client = app.test_client()
    objects = _objects_of(ctx, client, people["ann"])
    rules = [r for r in _rules(app) if r.endpoint in OWNERSHIP and OWNERSHIP[r.endpoint] != "lead"]
    assert len(rules) >= 15
    for who in ("bob", "lee", "ann"):
        for rule in rules:
            values = {a: objects[a] for a in rule.arguments}
            if who == "ann" and rule.endpoint in DELETES_THE_CLIP:  # she may: give her a clip of her own to lose
                values["clip_id"] = client.post(f"/api/v1/recordings/{objects['recording_id']}/clips",
                                                headers=people["ann"], json={"start": 1.0, "end": 2.0}).json["id"]
            with app.test_request_context():
                url = url_for(rule.endpoint, **values)
            for method in (m for m in _methods(rule) if m != "OPTIONS"):  # OPTIONS is Flask's, with no data
                response = client.open(url, method=method, headers=people[who], json={"version": objects["version"]})
                refused = response.status_code in (401, 403, 404)
                rule_says = OWNERSHIP[rule.endpoint]
                should_refuse = (who == "bob" and rule_says in ("owner", "self")) or (who == "lee" and rule_says == "self")
                assert refused == should_refuse, \
                    f"{who} {method} {url} ({rule_says}): got {response.status_code} {response.get_data(as_text=True)[:200]}"

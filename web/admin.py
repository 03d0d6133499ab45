"""Admin pages: users (invite, roles, deactivate, reset links) and the people list clips name as speakers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from clipper import events
from clipper.errors import InvalidInput, NotFound
from clipper.models import ROLES, Person, User
from web.auth import role_required
from web.body_caps import body_cap
from web.db import session, store
from web.pages import password_link

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_LABELS = {"volunteer": "Volunteer", "social_lead": "Social lead", "admin": "Admin"}
MAX_NAME = 200


def _text(field: str, label: str, *, required: bool = False, limit: int = MAX_NAME) -> str:
    value = request.form.get(field, "").strip()
    if required and not value:
        raise InvalidInput(f"Fill in the {label}.")
    if len(value) > limit:
        raise InvalidInput(f"The {label} is too long: at most {limit} characters.")
    return value


def _role() -> str:
    role = request.form.get("role", "")
    if role not in ROLES:
        raise InvalidInput(f"Choose a role: {', '.join(ROLE_LABELS.values())}.")
    return role


def _user(user_id: int) -> User:
    user = session().get(User, user_id)
    if user is None:
        raise NotFound("There is no such user.")
    return user


def _users_page(link: str = "", link_for: User | None = None, status: int = 200) -> Any:
    users = session().scalars(select(User).order_by(User.active.desc(), User.email)).all()
    return render_template("admin/users.html", users=users, roles=ROLE_LABELS, link=link, link_for=link_for), status


@bp.get("/")
@role_required("admin")
def home() -> Any:
    return redirect(url_for("admin.users"))


@bp.get("/users")
@role_required("admin")
def users() -> Any:
    return _users_page()


@bp.post("/users")
@role_required("admin")
def invite() -> Any:
    db = session()
    email = _text("email", "email address", required=True, limit=320).lower()
    if "@" not in email:
        raise InvalidInput("That doesn't look like an email address.")
    if db.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise InvalidInput(f"{email} already has an account. Use 'Reset link' on the list to send a new link.")
    user = User(email=email, name=_text("name", "name"), role=_role(), password_hash="")
    db.add(user)
    db.flush()
    events.record(db, "user.invited", user, user_id=current_user.id, role=user.role)
    db.commit()
    flash(f"Invited {email}. Send them the link below; it works once and lasts 7 days.")
    return _users_page(password_link(user), user, 201)


@bp.post("/users/<int:user_id>/role")
@role_required("admin")
def change_role(user_id: int) -> Any:
    db = session()
    user, role = _user(user_id), _role()
    if user.id == current_user.id and role != "admin":
        flash("You can't remove your own admin role: you would be locked out. Ask another admin to do it.")
        return redirect(url_for("admin.users"))
    user.role = role
    events.record(db, "user.role_changed", user, user_id=current_user.id, role=role)
    db.commit()
    flash(f"{user.email} is now {ROLE_LABELS[role].lower()}.")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/active")
@role_required("admin")
def set_active(user_id: int) -> Any:
    db = session()
    user = _user(user_id)
    active = request.form.get("active") == "1"
    if user.id == current_user.id and not active:
        # said on the users page, where the admin is: another admin can deactivate this account
        flash("You can't deactivate your own account: you would be locked out. Ask another admin to do it.")
        return redirect(url_for("admin.users"))
    user.active = active
    if not active:
        user.tokens.clear()  # API tokens stop working with the account
    events.record(db, "user.activated" if active else "user.deactivated", user, user_id=current_user.id)
    db.commit()
    flash(f"{user.email} is {'active again' if active else 'deactivated and can no longer log in'}.")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/reset")
@role_required("admin")
def reset_link(user_id: int) -> Any:
    db = session()
    user = _user(user_id)
    if not user.active:
        raise InvalidInput("Reactivate the account first.")
    events.record(db, "user.reset_link", user, user_id=current_user.id)
    db.commit()
    flash(f"Password link for {user.email}: it works once and lasts 7 days.")
    return _users_page(password_link(user), user)


# --- the people list ---

def _person_fields(person: Person) -> Person:
    person.name = _text("name", "name", required=True)
    person.role = _text("role", "role")
    person.constituency = _text("constituency", "constituency")
    person.party = _text("party", "party")
    return person


PHOTO_TYPES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}
MAX_PHOTO_BYTES = 5 * 1024 * 1024


def _photo(person: Person) -> None:
    """A PNG or JPEG photo (shown behind the person's audiogram clips), or its removal."""
    if request.form.get("remove_photo"):
        person.photo_key = ""
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        return
    data = upload.read(MAX_PHOTO_BYTES + 1)
    ext = next((e for magic, e in PHOTO_TYPES.items() if data.startswith(magic)), None)
    if ext is None or len(data) > MAX_PHOTO_BYTES:
        raise InvalidInput("The photo must be a PNG or JPEG file under 5 MB.")
    key = f"people/{person.id}/photo.{ext}"
    store().put_bytes(key, data, content_type="image/png" if ext == "png" else "image/jpeg")
    person.photo_key = key


@bp.get("/people")
@role_required("admin")
def people() -> Any:
    rows = session().scalars(select(Person).order_by(Person.active.desc(), Person.name)).all()
    return render_template("admin/people.html", people=rows)


@bp.post("/people")
@body_cap(lambda s: MAX_PHOTO_BYTES + 256 * 1024, mimetypes=("multipart/form-data",))  # a photo and the form
@role_required("admin")
def add_person() -> Any:
    db = session()
    person = _person_fields(Person())
    db.add(person)
    db.flush()
    _photo(person)
    events.record(db, "person.added", person, user_id=current_user.id)
    db.commit()
    flash(f"Added {person.name}.")
    return redirect(url_for("admin.people"))


@bp.post("/people/<int:person_id>")
@body_cap(lambda s: MAX_PHOTO_BYTES + 256 * 1024, mimetypes=("multipart/form-data",))
@role_required("admin")
def edit_person(person_id: int) -> Any:
    db = session()
    person = db.get(Person, person_id)
    if person is None:
        raise NotFound("There is no such person.")
    if request.form.get("action") == "remove":
        person.active = False
        flash(f"{person.name} is no longer offered as a speaker.")
    elif request.form.get("action") == "restore":
        person.active = True
        flash(f"{person.name} is offered as a speaker again.")
    else:
        _person_fields(person)
        _photo(person)
        flash(f"Saved {person.name}.")
    events.record(db, "person.changed", person, user_id=current_user.id)
    db.commit()
    return redirect(url_for("admin.people"))


# --- the campaign glossary (names the speech model should expect; clipper/glossary.py) ---
# Registered only where the speech side's glossary exists, so this module never breaks without it.
try:
    from clipper import glossary as glossary_service
except ImportError:  # pragma: no cover - the glossary lands separately
    glossary_service = None  # type: ignore[assignment]


@bp.context_processor
def _has_glossary() -> dict[str, bool]:
    return {"has_glossary": glossary_service is not None}


if glossary_service is not None:

    @bp.get("/glossary")
    @role_required("admin")
    def glossary() -> Any:
        entries = glossary_service.list_terms(session())
        text = "\n".join(f"{e.term} | {e.note}" if e.note else e.term for e in entries)
        return render_template("admin/glossary.html", text=text, count=len(entries))

    @bp.post("/glossary")
    @role_required("admin")
    def save_glossary() -> Any:
        raw = request.form.get("terms", "")
        if len(raw) > 200_000:
            raise InvalidInput("The glossary is too long to save in one go.")
        entries = []
        for line in raw.splitlines():
            term, _, note = line.partition("|")
            if term.strip():
                entries.append(glossary_service.Entry(term.strip(), note.strip()))
        db = session()
        saved = glossary_service.replace_terms(db, entries)
        events.record(db, "glossary.update", None, user_id=current_user.id, count=len(saved))
        db.commit()
        flash(f"Saved the glossary: {len(saved)} names.")
        return redirect(url_for("admin.glossary"))

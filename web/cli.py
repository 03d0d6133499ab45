"""The ``clipper`` command: run everything on one machine, or each part; script the pipeline."""

from __future__ import annotations

import os
import secrets
import signal
import sys
import time
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select

from clipper import clips as clip_service
from clipper import recordings as recording_service
from clipper.db import make_engine, make_sessionmaker, upgrade
from clipper.errors import ClipperError
from clipper.models import ROLES, Clip, Recording, User
from clipper.settings import Settings
from clipper.urls import AddressPolicy, check_url
from web import ensure_secret_key
from web.supervisor import Child, Supervisor
from workers import logs, queues
from workers.redis import EmbeddedRedis, connect, redis_url
from workers.worker import run_worker


class Env:
    def __init__(self) -> None:
        self.settings = ensure_secret_key(Settings.from_env(os.environ))
        self._embedded: EmbeddedRedis | None = None
        self._redis_url = ""

    def sessions(self):  # type: ignore[no-untyped-def]
        return make_sessionmaker(make_engine(self.settings.database_url))

    def redis_url(self) -> str:
        if not self._redis_url:
            self._redis_url, self._embedded = redis_url(self.settings.redis_url, self.settings.data_dir)
        return self._redis_url

    def close(self) -> None:
        if self._embedded is not None:
            self._embedded.stop()


pass_env = click.make_pass_decorator(Env)


def _fail(exc: ClipperError) -> None:
    raise click.ClickException(exc.message)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Clipper: rapid-response clips from broadcast recordings."""
    # SIGTERM ends the command like Ctrl-C does, so what it started (an embedded Redis) is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    env = Env()
    ctx.obj = env
    ctx.call_on_close(env.close)


@main.command()
@click.option("--workers", type=int, default=None, help="Worker processes (default CLIPPER_WORKERS).")
@pass_env
def up(env: Env, workers: int | None) -> None:
    """Run everything on this machine: Redis, migrations, workers, the live recorders and the web app."""
    s = env.settings
    url = env.redis_url()
    upgrade(s.database_url)
    password = _first_admin(env)
    child_env = {**os.environ, "CLIPPER_REDIS_URL": url, "CLIPPER_SECRET_KEY": s.secret_key,
                 "CLIPPER_DATA_DIR": str(s.data_dir)}
    python = sys.executable
    count = workers if workers is not None else s.workers
    children = [Child(f"worker-{i + 1}", (python, "-m", "web.cli", "worker")) for i in range(count)]
    children.append(Child("web", (python, "-m", "web.cli", "web")))
    children.append(Child("recorders", (python, "-m", "web.cli", "recorders")))  # live sources the team turns on
    supervisor = Supervisor(children, env=child_env, say=lambda message: click.echo(message, err=True))
    signal.signal(signal.SIGTERM, supervisor.stop)
    signal.signal(signal.SIGINT, supervisor.stop)
    click.echo(f"Clipper is running at {s.public_base_url}  (data in {s.data_dir})")
    if password:
        click.echo(f"First login: admin@localhost / {password}  (change it, or add people with `clipper users create`)")
    click.echo(_url_source(s))
    click.echo("Press Ctrl-C to stop.")
    failed = supervisor.run()  # restarts a worker or the web app that dies; returns on Ctrl-C/SIGTERM
    click.echo("Stopped.")
    if failed:
        raise SystemExit(failed)


def _url_source(s: Settings) -> str:
    """Which URL invite links and media links use, and where it came from."""
    if os.environ.get("CLIPPER_PUBLIC_BASE_URL", ""):
        return f"Links (invites, media) use {s.public_base_url}, from CLIPPER_PUBLIC_BASE_URL."
    return (f"Links (invites, media) use {s.public_base_url}, made from CLIPPER_HOST and CLIPPER_PORT "
            f"(listening on {s.host}:{s.port}). If people reach Clipper at another address, set "
            "CLIPPER_PUBLIC_BASE_URL to it.")


def _first_admin(env: Env) -> str:
    """On an empty database, create admin@localhost with a random password and return it."""
    from web.auth import hash_password

    with env.sessions()() as db:
        if db.scalar(select(func.count(User.id))):
            return ""
        password = secrets.token_urlsafe(12)
        db.add(User(email="admin@localhost", name="Admin", role="admin", password_hash=hash_password(password)))
        db.commit()
        return password


@main.command()
@pass_env
def web(env: Env) -> None:
    """Run the web app (granian; gunicorn or waitress with CLIPPER_WEB_SERVER)."""
    from web.server import serve

    logs.configure(env.settings.log_format)
    serve(env.settings, env.redis_url())


@main.command()
@click.argument("queue_names", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@pass_env
def worker(env: Env, queue_names: tuple[str, ...], burst: bool) -> None:
    """Run a worker for QUEUE_NAMES (default: ingest transcribe render publish)."""
    run_worker(env.settings, env.redis_url(), queue_names, burst=burst)


@main.command("record")
@click.argument("source_id", type=int)
@pass_env
def record_cmd(env: Env, source_id: int) -> None:
    """Record one live source until its stream ends or it is stopped (Ctrl-C stops it too)."""
    from workers import context
    from workers.recorder import record

    ctx = context.configure(env.settings, env.redis_url())
    click.echo(f"Live source {source_id}: {record(ctx, source_id)}.")


@main.command("recorders")
@pass_env
def recorders_cmd(env: Env) -> None:
    """Run a recorder for every active live source, starting and stopping them as the team does."""
    from workers import context
    from workers.recorder import run_recorders

    logs.configure(env.settings.log_format)
    ctx = context.configure(env.settings, env.redis_url())
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        run_recorders(ctx, stop=lambda: bool(stopping))
    except KeyboardInterrupt:
        pass


@main.group()
def db() -> None:
    """Database commands."""


@db.command("upgrade")
@pass_env
def db_upgrade(env: Env) -> None:
    """Apply migrations."""
    upgrade(env.settings.database_url)
    click.echo("Database is up to date.")


@main.group()
def users() -> None:
    """People who log in."""


@users.command("create")
@click.argument("email")
@click.option("--name", default="")
@click.option("--role", type=click.Choice(ROLES), default="volunteer")
@click.option("--password", default=None,
              help="The password. Visible in the process list and shell history: prefer --password-stdin in scripts.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (kept out of the process list).")
@click.option("--token", is_flag=True, help="Also create an API token and print it.")
@pass_env
def users_create(env: Env, email: str, name: str, role: str, password: str | None, password_stdin: bool,
                 token: bool) -> None:
    """Create a user. Without --password or --password-stdin it asks for the password on a terminal."""
    from clipper.models import ApiToken
    from web.auth import hash_password

    password = _password(password, password_stdin)
    with env.sessions()() as session:
        email = email.strip().lower()
        if session.scalar(select(User).where(User.email == email)):
            raise click.ClickException(f"{email} already has an account.")
        user = User(email=email, name=name, role=role, password_hash=hash_password(password))
        session.add(user)
        session.flush()
        secret = ""
        if token:
            secret = ApiToken.new_secret()
            session.add(ApiToken(user_id=user.id, name="cli", token_hash=ApiToken.hash(secret)))
        session.commit()
    click.echo(f"Created {role} {email}.")
    if secret:
        click.echo(f"API token: {secret}")


def _password(given: str | None, from_stdin: bool) -> str:
    if given is not None and from_stdin:
        raise click.UsageError("Give the password with --password or --password-stdin, not both.")
    if from_stdin:
        given = sys.stdin.readline().rstrip("\r\n")
    elif given is None:
        if not sys.stdin.isatty():
            raise click.UsageError("No terminal to ask for the password on: pipe it in with --password-stdin "
                                   "(e.g. `printf '%s\\n' \"$PASSWORD\" | clipper users create ... --password-stdin`).")
        given = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not given:
        raise click.UsageError("The password is empty: give the user a password.")
    return given


@main.command()
@click.argument("source")
@click.option("--title", default="")
@click.option("--wait", is_flag=True, help="Show progress until the transcript is ready.")
@pass_env
def ingest(env: Env, source: str, title: str, wait: bool) -> None:
    """Add a recording from a local file or a link (http/https, downloaded by yt-dlp) and queue it."""
    path = Path(source)
    is_link = not path.is_file()
    if is_link and ":" not in source and not source.startswith("-"):
        raise click.ClickException(f"{source} is not a file or a link (https://...).")
    with env.sessions()() as session:
        try:
            if is_link:
                url = check_url(source, AddressPolicy(env.settings.url_allowed_hosts))
                recording = recording_service.create_recording(session, title=title, source="url", source_url=url)
            else:
                recording = recording_service.create_recording(session, title=title or path.stem)
        except ClipperError as exc:
            _fail(exc)
        if not is_link:
            from workers.context import configure

            configure(env.settings).store.put_file(recording_service.upload_key(recording.id), path)
        session.commit()
        rid = recording.id
    queues.enqueue_ingest(connect(env.redis_url()), rid)
    click.echo(f"Recording {rid} queued.")
    if wait:
        _wait_for(env, Recording, rid, done=("ready",))


@main.command()
@click.argument("recording_id", type=int)
@click.option("--start", type=float, required=True)
@click.option("--end", type=float, required=True)
@click.option("--title", default="")
@pass_env
def clip(env: Env, recording_id: int, start: float, end: float, title: str) -> None:
    """Mark a clip on a recording."""
    with env.sessions()() as session:
        try:
            recording = recording_service.get_recording(session, recording_id)
            c = clip_service.create_clip(session, recording, start=start, end=end, title=title,
                                         max_seconds=env.settings.max_clip_seconds)
        except ClipperError as exc:
            _fail(exc)
        session.commit()
        click.echo(f"Clip {c.id}: {c.start:.2f}–{c.end:.2f} s, {len(c.caption_words)} words.")


@main.command()
@click.argument("clip_id", type=int)
@click.option("--wait", is_flag=True, help="Show progress until the renders are done.")
@pass_env
def render(env: Env, clip_id: int, wait: bool) -> None:
    """Queue the renders of an approved clip again (public renders come only from review)."""
    with env.sessions()() as session:
        try:
            clip = clip_service.get_clip(session, clip_id)
        except ClipperError as exc:
            _fail(exc)
        if clip.status not in ("approved", "published"):
            _fail(ClipperError(f"Clip {clip_id} is {clip.status}: only approved clips are rendered for publishing. "
                               "A social lead approves it on the Review page."))
    queues.enqueue_render(connect(env.redis_url()), clip_id)
    click.echo(f"Clip {clip_id} queued for rendering.")
    if wait:
        _wait_for(env, Clip, clip_id, done=("done",))


@main.command()
@click.argument("recording_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["srt", "vtt", "txt", "json"]), default="srt", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default="-", help="File to write (default: stdout).")
@pass_env
def export(env: Env, recording_id: int, fmt: str, output: str) -> None:
    """Export a recording's transcript (volunteers' word fixes applied)."""
    from clipper import exports, glossary

    with env.sessions()() as session:
        try:
            recording = recording_service.get_recording(session, recording_id)
        except ClipperError as exc:
            _fail(exc)  # before opening --output: a failed export leaves no empty file behind
        checker = glossary.Checker([e.term for e in glossary.list_terms(session)]) if fmt == "json" else None
        with click.open_file(output, "w", encoding="utf-8") as out:
            for part in exports.export(session, recording, fmt, checker):
                out.write(part)


@main.command()
@pass_env
def status(env: Env) -> None:
    """Recordings, clips and queues at a glance."""
    from rq import Queue

    with env.sessions()() as session:
        for row in session.execute(select(Recording.status, func.count()).group_by(Recording.status)):
            click.echo(f"recordings {row[0]:>13}: {row[1]}")
        for row in session.execute(select(Clip.status, func.count()).group_by(Clip.status)):
            click.echo(f"clips      {row[0]:>13}: {row[1]}")
    conn = connect(env.redis_url())
    for name in queues.QUEUES:
        click.echo(f"queue      {name:>13}: {Queue(name, connection=conn).count} waiting")


def _wait_for(env: Env, model: Any, record_id: int, done: tuple[str, ...]) -> None:
    sessions = env.sessions()
    with click.progressbar(length=100, label=f"{model.__name__} {record_id}") as bar:
        shown = 0
        while True:
            with sessions() as session:
                record = session.get(model, record_id)
                if model is Clip:
                    renders = record.renders
                    state = "done" if renders and all(r.status == "done" for r in renders) else (
                        "failed" if any(r.status == "failed" for r in renders) else "rendering")
                    progress = sum(r.progress for r in renders) / len(renders) if renders else 0.0
                    error = "; ".join(r.error for r in renders if r.error)
                else:
                    state, progress, error = record.status, record.progress, record.error
            target = int(progress * 100)
            if target > shown:
                bar.update(target - shown)
                shown = target
            if state in done:
                bar.update(100 - shown)
                break
            if state == "failed":
                raise click.ClickException(error or "failed")
            time.sleep(0.5)


if __name__ == "__main__":
    main()

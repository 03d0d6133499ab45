"""HTTP for the adapters: ``requests`` behind the URL guard, with errors sorted into what may be retried.

Every URL is checked (http/https, and the host resolved: no private or loopback addresses unless the
``url_allowed_hosts`` setting names it) before a request is made. A connection that could not be
opened is ``Transient`` (nothing left); a connection that broke or timed out after the request was sent
is ``InDoubt`` only where the caller says the request creates the post.
"""

from __future__ import annotations

import email.utils
import logging
import time
from typing import Any

import requests
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ConnectTimeout, RequestException

from clipper.channels import Connection, InDoubt, Permanent, Transient
from clipper.urls import UrlRefused, check_url


class _Redact(logging.Filter):
    """urllib3 logs request lines at DEBUG; Telegram's token is part of its URLs."""

    secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg, record.args = scrub(record.getMessage(), self.secrets), ()
        return True


_REDACT = _Redact()


def scrub(text: str, secrets: set[str] | tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[hidden]")
    return text


class Http:
    def __init__(self, conn: Connection, platform: str, *, hide: tuple[str, ...] = ()) -> None:
        self.conn = conn
        self.platform = platform
        self.hide = tuple(h for h in hide if h)
        if self.hide:
            _REDACT.secrets.update(self.hide)
            pool_log = logging.getLogger("urllib3.connectionpool")
            if _REDACT not in pool_log.filters:
                pool_log.addFilter(_REDACT)
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies or netrc from the environment
        self.session.headers["User-Agent"] = conn.user_agent
        self._checked: set[str] = set()

    def guard(self, url: str) -> str:
        base = url.split("?", 1)[0]
        host = base.split("/")[2] if base.count("/") >= 2 else base
        if host not in self._checked:
            try:
                check_url(url, self.conn.policy)
            except UrlRefused as exc:
                raise Permanent(exc.message.replace("Clipper does not fetch links", "Clipper does not connect")) from None
            self._checked.add(host)
        return url

    def request(self, method: str, url: str, *, creates: bool = False, **kwargs: Any) -> requests.Response:
        """One request. ``creates``: this request makes the post, so a broken answer is ``InDoubt``."""
        self.guard(url)
        kwargs.setdefault("timeout", self.conn.timeout)
        kwargs.setdefault("allow_redirects", False)  # a redirect could lead past the guard
        try:
            response = self.session.request(method, url, **kwargs)
        except ConnectTimeout:
            raise Transient(f"{self.platform} did not answer (connection timed out).") from None
        except RequestsConnectionError as exc:
            reason = scrub(_reason(exc), self.hide)
            if _never_connected(exc) or not creates:
                raise Transient(f"Could not reach {self.platform}: {reason}.") from None
            raise InDoubt(f"The connection to {self.platform} broke after the post was sent.", detail=reason) from None
        except RequestException as exc:  # read timeout and the like, after the request left
            if not creates:
                raise Transient(f"{self.platform} did not answer in time.") from None
            raise InDoubt(f"{self.platform} did not answer in time after the post was sent.",
                          detail=type(exc).__name__) from None
        return response

    def raise_for_status(self, response: requests.Response, message: str = "") -> None:
        """5xx and 429 are passing; 401/403 mean the credentials; other 4xx are the post itself."""
        code = response.status_code
        if code < 400:
            return
        said = message or _said(response)
        if code == 429:
            raise Transient(f"{self.platform} asks us to slow down (rate limit).", retry_after=retry_after(response))
        if code >= 500:
            raise Transient(f"{self.platform} had a problem ({code}). Trying again.", retry_after=retry_after(response))
        if code in (401, 403):
            raise Permanent(f"{self.platform} refused the credentials ({code}{': ' + said if said else ''}). "
                            "An admin must reconnect the channel.")
        raise Permanent(f"{self.platform} refused the post ({code}{': ' + said if said else ''}).")


def retry_after(response: requests.Response) -> float | None:
    """Seconds from ``Retry-After`` (seconds or an HTTP date), else Mastodon's ``X-RateLimit-Reset``."""
    raw = response.headers.get("Retry-After", "")
    if raw.strip().isdigit():
        return float(raw.strip())
    for value in (raw, response.headers.get("X-RateLimit-Reset", "")):
        if not value:
            continue
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            try:
                from datetime import datetime

                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
        return max(0.0, parsed.timestamp() - time.time())
    return None


def _said(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    if isinstance(data, dict):
        for key in ("error_description", "message", "description", "error"):
            if isinstance(data.get(key), str) and data[key]:
                return str(data[key])[:300]
    return ""


def _never_connected(exc: Exception) -> bool:
    """True when the connection was refused or never opened, so nothing reached the platform."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        name = type(cur).__name__
        if name in ("NewConnectionError", "ConnectionRefusedError", "NameResolutionError", "ConnectTimeoutError"):
            return True
        nxt = cur.args[0] if cur.args and isinstance(cur.args[0], BaseException) else None
        cur = getattr(cur, "reason", None) or nxt or cur.__cause__ or cur.__context__
    return False


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text[-200:] if text else type(exc).__name__

"""The only way yt-dlp reaches the network in Clipper: one request handler that checks every connection.

``GuardedYoutubeDL`` is yt-dlp with a single request handler, ours (urllib; http and https only; no
proxies, no file/data/ftp URLs). Before a socket is connected, the address it is about to connect to
is checked against the ``AddressPolicy`` — for the page, every redirect (whose target is checked
first), every manifest and every HLS/DASH fragment — so a name that resolves to a public address at
check time and to 127.0.0.1 a second later is still refused. Whole-body reads (pages, manifests, API
answers) are capped, identity encoding is asked for, and gzip/deflate sent anyway is decoded with the
same cap. When the guard stops a request it keeps the reason (``Guard.stopped``), because yt-dlp wraps
the exception it sees in its own error text.
"""

from __future__ import annotations

import functools
import http.client
import io
import urllib.parse
import urllib.request
import urllib.response
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import yt_dlp
from yt_dlp.networking import _urllib as ydl_urllib
from yt_dlp.networking._helper import _socket_connect, create_connection

from clipper.errors import ClipperError
from clipper.urls import AddressPolicy, UrlRefused, check_shape


class FetchRefused(ClipperError):
    """A site's answer Clipper will not read (too large, damaged)."""

    status = 422


class Stopped(OSError):
    """Raised inside yt-dlp's networking instead of connecting or reading on; an OSError so yt-dlp treats
    it as the network failure it is."""


@dataclass
class Guard:
    policy: AddressPolicy
    max_page_bytes: int = 32 * 1024**2
    stopped: ClipperError | None = None  # the first reason a request was stopped, for the volunteer

    def stop(self, reason: ClipperError) -> NoReturn:
        self.stopped = self.stopped or reason
        raise Stopped(reason.message)

    def refuse_if(self, check: Callable[[], Any]) -> Any:
        try:
            return check()
        except UrlRefused as exc:
            self.stop(exc)

    def page_too_big(self) -> NoReturn:
        self.stop(FetchRefused(f"The page at that link is over {_mb(self.max_page_bytes)}: "
                               "it is not a video page Clipper can read."))


class GuardedYoutubeDL(yt_dlp.YoutubeDL):  # type: ignore[misc]
    """yt-dlp with one request handler: ours (urllib, http/https, every connection checked)."""

    def __init__(self, params: dict[str, Any], *, guard: Guard) -> None:
        self._guard = guard
        super().__init__(params, auto_init=True)

    @functools.cached_property
    def _request_director(self) -> Any:
        return self.build_request_director([functools.partial(_GuardedUrllibRH, guard=self._guard)])


class _GuardedUrllibRH(ydl_urllib.UrllibRH):  # type: ignore[misc]
    _SUPPORTED_URL_SCHEMES = ("http", "https")
    _SUPPORTED_PROXY_SCHEMES = ()
    RH_NAME = "clipper-urllib"

    def __init__(self, *, guard: Guard, **kwargs: Any) -> None:
        kwargs.pop("enable_file_urls", None)
        super().__init__(**kwargs)
        self.guard = guard

    def _prepare_headers(self, request: Any, headers: Any) -> None:
        headers["Accept-Encoding"] = "identity"  # nothing to decompress: no zip bombs

    def _send(self, request: Any) -> Any:
        self.guard.refuse_if(lambda: check_shape(request.url))
        response = super()._send(request)
        read, guard = response.read, self.guard

        def capped_read(amt: int | None = None) -> bytes:
            # yt-dlp streams media with read(block); a whole-body read() is a page, manifest or API answer.
            if amt is not None and amt >= 0:
                return bytes(read(amt))
            data = bytes(read(guard.max_page_bytes + 1))
            if len(data) > guard.max_page_bytes:
                guard.page_too_big()
            return data

        response.read = capped_read
        return response

    def _create_instance(self, proxies: Any, cookiejar: Any, legacy_ssl_support: Any = None) -> Any:
        opener = urllib.request.OpenerDirector()
        for handler in (
            _GuardedHTTPHandler(self, context=self._make_sslcontext(legacy_ssl_support=legacy_ssl_support),
                                source_address=self.source_address),
            ydl_urllib.HTTPCookieProcessor(cookiejar),
            ydl_urllib.UnknownHandler(),
            ydl_urllib.HTTPDefaultErrorHandler(),
            ydl_urllib.HTTPErrorProcessor(),
            _GuardedRedirectHandler(self),
        ):
            opener.add_handler(handler)
        opener.addheaders = []
        return opener

    def connect(self, host: str, address: tuple[Any, ...], timeout: Any, source_address: Any) -> Any:
        """Open a socket to ``host``, trying each address it resolved to, refusing the ones not allowed."""

        def guarded(ip_addr: tuple[Any, ...], timeout: Any, source_address: Any) -> Any:
            self.guard.refuse_if(lambda: self.guard.policy.check_address(host, ip_addr[4][0], ip_addr[4][1]))
            return _socket_connect(ip_addr, timeout, source_address)

        return create_connection(address, timeout, source_address, _create_socket_func=guarded)


class _GuardedHTTPHandler(ydl_urllib.HTTPHandler):  # type: ignore[misc]
    def __init__(self, rh: _GuardedUrllibRH, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rh = rh

    def _connection(self, conn_class: type[http.client.HTTPConnection], *args: Any, **kwargs: Any) -> Any:
        conn = conn_class(*args, **kwargs)
        rh = self._rh

        def create(address: tuple[Any, ...], timeout: Any = None, source_address: Any = None) -> Any:
            return rh.connect(address[0], address, timeout, source_address)

        conn._create_connection = create  # type: ignore[attr-defined]
        if self._source_address is not None:
            conn.source_address = (self._source_address, 0)  # type: ignore[attr-defined]
        return conn

    def http_open(self, req: Any) -> Any:
        return self.do_open(functools.partial(self._connection, http.client.HTTPConnection), req)

    def http_response(self, req: Any, resp: Any) -> Any:
        """Decode gzip/deflate (sent although we ask for identity) with a cap, instead of all in memory."""
        encodings = [e.strip().lower() for e in reversed(resp.headers.get("Content-Encoding", "").split(","))]
        encodings = [e for e in encodings if e and e != "identity"]
        if not encodings or any(e not in ("gzip", "x-gzip", "deflate") for e in encodings):
            return resp  # unknown encodings stay encoded: yt-dlp then fails to read them, safely
        guard = self._rh.guard
        data = resp.read(guard.max_page_bytes + 1)
        for encoding in encodings:
            data = _inflate(data, encoding, guard.max_page_bytes)
            if data is None:
                guard.stop(FetchRefused("The site sent a damaged answer. Try again, or upload the file."))
            if len(data) > guard.max_page_bytes:
                guard.page_too_big()
        decoded = urllib.response.addinfourl(io.BytesIO(data), resp.headers, resp.url, resp.code)
        decoded.msg = resp.msg  # type: ignore[attr-defined]
        return decoded

    https_response = http_response

    def https_open(self, req: Any) -> Any:
        return self.do_open(functools.partial(self._connection, http.client.HTTPSConnection), req,
                            context=self._context)


class _GuardedRedirectHandler(ydl_urllib.RedirectHandler):  # type: ignore[misc]
    def __init__(self, rh: _GuardedUrllibRH) -> None:
        super().__init__()
        self._rh = rh

    def http_error_302(self, req: Any, fp: Any, code: int, msg: str, headers: Any) -> Any:
        location = headers.get("location") or headers.get("uri")
        if location:  # urllib refuses other schemes too, but with a bare HTTP error
            self._rh.guard.refuse_if(lambda: check_shape(urllib.parse.urljoin(req.full_url, location)))
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _inflate(data: bytes, encoding: str, limit: int) -> bytes | None:
    """At most ``limit + 1`` bytes of ``data`` decompressed; None when it is not valid gzip/deflate."""
    # deflate is zlib-wrapped by the standard and raw in practice; gzip has its own header
    for wbits in ((zlib.MAX_WBITS, -zlib.MAX_WBITS) if encoding == "deflate" else (zlib.MAX_WBITS | 16,)):
        try:
            return zlib.decompressobj(wbits).decompress(data, limit + 1)
        except zlib.error:
            continue
    return None


def _mb(n: int) -> str:
    return f"{max(1, round(n / 1024**2))} MB"

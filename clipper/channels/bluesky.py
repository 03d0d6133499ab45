"""Bluesky (AT Protocol): a handle and an app password.

``com.atproto.server.createSession`` gives an access token and the account's DID (and its PDS, from
the DID document). The video goes to the video service: a service-auth token from
``com.atproto.server.getServiceAuth`` (audience the PDS, method ``com.atproto.repo.uploadBlob``),
``app.bsky.video.uploadVideo``, then ``app.bsky.video.getJobStatus`` until the job yields a blob;
``app.bsky.video.getUploadLimits`` is asked first. The post is written with
``com.atproto.repo.putRecord`` under a record key we choose (a TID made when the post was scheduled),
so a post in doubt is checked with ``com.atproto.repo.getRecord``, and a retry can only overwrite it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from clipper.channels import Account, Connection, Limits, Outgoing, Permanent, Sent, Transient, check_video
from clipper.channels.text import check_text
from clipper.channels.transport import Http

# 300 graphemes per post; videos up to 100 MB and 3 minutes (Bluesky's documented limits).
LIMITS = Limits(max_chars=300, max_video_bytes=100_000_000, max_video_seconds=180.0, count="graphemes")
COLLECTION = "app.bsky.feed.post"
SESSION_TTL = 3600  # access tokens last about two hours; keep a login for one
PLATFORM = "Bluesky"


class Bluesky:
    kind = "bluesky"

    def __init__(self, handle: str, password: str, conn: Connection, *, service: str = "https://bsky.social",
                 video_service: str = "https://video.bsky.app", limits: Limits = LIMITS,
                 poll_interval: float = 1.0, max_wait: float = 300.0) -> None:
        self.handle = handle.lstrip("@")
        self.password = password
        self.service = service.rstrip("/")
        self.video_service = video_service.rstrip("/")
        self.http = Http(conn, PLATFORM)
        self.limits = limits
        self.poll_interval = poll_interval
        self.max_wait = max_wait
        self._session: dict[str, Any] | None = None

    # --- session ---
    def _login(self) -> dict[str, Any]:
        cache = self.http.conn.sessions
        if self._session is None and cache is not None:
            cached = cache.get()
            if cached:
                self._session = json.loads(cached)
        if self._session is None:
            response = self.http.request("POST", f"{self.service}/xrpc/com.atproto.server.createSession",
                                         json={"identifier": self.handle, "password": self.password})
            if response.status_code == 401:
                raise Permanent("Bluesky refused the handle or app password (revoked or mistyped). "
                                "An admin must reconnect the channel with a new app password.")
            self.http.raise_for_status(response)
            data = response.json()
            data["pds"] = _pds_endpoint(data.get("didDoc")) or self.service
            self._session = {k: data[k] for k in ("accessJwt", "did", "handle", "pds") if k in data}
            if cache is not None:
                cache.set(json.dumps(self._session), SESSION_TTL)
        return self._session

    def _xrpc(self, method: str, nsid: str, *, base: str | None = None, creates: bool = False,
              token: str | None = None, **kwargs: Any) -> Any:
        extra = kwargs.pop("headers", {})
        for attempt in (1, 2):
            session = self._login()
            url = f"{base or session['pds']}/xrpc/{nsid}"
            headers = {"Authorization": f"Bearer {token or session['accessJwt']}", **extra}
            response = self.http.request(method, url, headers=headers, creates=creates, **kwargs)
            if attempt == 1 and token is None and _expired(response):
                self._forget()  # the saved login ran out: the request was refused, so log in and ask again
                continue
            return response
        raise AssertionError("unreachable")

    def _forget(self) -> None:
        self._session = None
        if self.http.conn.sessions is not None:
            self.http.conn.sessions.clear()

    def _service_token(self, aud: str, lxm: str) -> str:
        response = self._xrpc("GET", "com.atproto.server.getServiceAuth",
                              params={"aud": aud, "lxm": lxm, "exp": int(time.time()) + 1800})
        self.http.raise_for_status(response)
        return str(response.json()["token"])

    # --- the interface ---
    def check(self) -> Account:
        session = self._login()
        limits = self.limits
        upload = self._upload_limits()
        detail = f"{limits.max_chars} graphemes, videos up to {limits.max_video_bytes // 1_000_000} MB and " \
                 f"{limits.max_video_seconds:.0f} s"
        if upload.get("canUpload") is False:
            detail += f"; video uploads refused now: {upload.get('message') or upload.get('error') or 'no reason given'}"
        elif "remainingDailyVideos" in upload:
            detail += f"; {upload['remainingDailyVideos']} videos left today"
        handle = session.get("handle") or self.handle
        return Account(name=f"@{handle}", url=f"https://bsky.app/profile/{handle}", limits=limits, detail=detail)

    def post(self, item: Outgoing) -> Sent:
        check_text(item.text, self.limits, PLATFORM)
        session = self._login()
        record: dict[str, Any] = {"$type": COLLECTION, "text": item.text,
                                  "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"), "langs": ["en"]}
        if item.video is not None:
            blob = self._upload_video(item)
            record["embed"] = {"$type": "app.bsky.embed.video", "video": blob, "alt": item.alt_text[:10000],
                               "aspectRatio": {"width": item.video.width, "height": item.video.height}}
        response = self._xrpc("POST", "com.atproto.repo.putRecord", creates=True,
                              json={"repo": session["did"], "collection": COLLECTION, "rkey": item.key,
                                    "record": record})
        self.http.raise_for_status(response)
        return self._sent(str(response.json()["uri"]), item.key)

    def find_existing(self, item: Outgoing) -> Sent | None:
        session = self._login()
        response = self._xrpc("GET", "com.atproto.repo.getRecord",
                              params={"repo": session["did"], "collection": COLLECTION, "rkey": item.key})
        if response.status_code == 400 and _error(response) == "RecordNotFound":
            return None
        self.http.raise_for_status(response)
        return self._sent(str(response.json()["uri"]), item.key)

    # --- video ---
    def _upload_limits(self) -> dict[str, Any]:
        token = self._service_token(f"did:web:{urlsplit(self.video_service).hostname}", "app.bsky.video.getUploadLimits")
        response = self.http.request("GET", f"{self.video_service}/xrpc/app.bsky.video.getUploadLimits",
                                     headers={"Authorization": f"Bearer {token}"})
        self.http.raise_for_status(response)
        return dict(response.json())

    def _upload_video(self, item: Outgoing) -> dict[str, Any]:
        video = item.video
        assert video is not None
        check_video(video, self.limits, PLATFORM)
        upload = self._upload_limits()
        if upload.get("canUpload") is False:
            raise Permanent(f"Bluesky will not take a video from this account now: "
                            f"{upload.get('message') or upload.get('error') or 'its daily limit is reached'}.")
        if "remainingDailyBytes" in upload and int(upload["remainingDailyBytes"]) < video.size:
            raise Permanent("The video is larger than what Bluesky lets this account upload for the rest of today.")
        session = self._login()
        token = self._service_token(f"did:web:{urlsplit(session['pds']).hostname}", "com.atproto.repo.uploadBlob")
        with open(video.path, "rb") as fh:
            response = self.http.request(
                "POST", f"{self.video_service}/xrpc/app.bsky.video.uploadVideo",
                params={"did": session["did"], "name": f"{item.key}.mp4"}, data=fh,
                headers={"Authorization": f"Bearer {token}", "Content-Type": video.mime,
                         "Content-Length": str(video.size)})
        body = _json(response)
        if response.status_code == 409 and body.get("jobId"):  # this very file was uploaded before
            job = body
        else:
            self.http.raise_for_status(response)
            job = body.get("jobStatus", body)
        deadline = time.monotonic() + self.max_wait
        while True:
            if job.get("blob"):
                return dict(job["blob"])
            if job.get("state") == "JOB_STATE_FAILED":
                raise Permanent(f"Bluesky accepted the video and then failed to process it: "
                                f"{job.get('message') or job.get('error') or 'no reason given'}.")
            if time.monotonic() > deadline:
                raise Transient("Bluesky is still processing the video; trying again later.")
            time.sleep(self.poll_interval)
            response = self.http.request("GET", f"{self.video_service}/xrpc/app.bsky.video.getJobStatus",
                                         params={"jobId": job["jobId"]},
                                         headers={"Authorization": f"Bearer {session['accessJwt']}"})
            self.http.raise_for_status(response)
            job = _json(response).get("jobStatus", {})

    def _sent(self, uri: str, rkey: str) -> Sent:
        handle = (self._session or {}).get("handle") or self.handle
        return Sent(external_id=uri, url=f"https://bsky.app/profile/{handle}/post/{rkey}")


def _expired(response: Any) -> bool:
    return response.status_code in (400, 401) and _error(response) in ("ExpiredToken", "InvalidToken",
                                                                         "AuthenticationRequired")


def _pds_endpoint(did_doc: Any) -> str:
    for service in (did_doc or {}).get("service", []) if isinstance(did_doc, dict) else []:
        if service.get("id", "").endswith("#atproto_pds"):
            return str(service.get("serviceEndpoint", "")).rstrip("/")
    return ""


def _json(response: Any) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error(response: Any) -> str:
    return str(_json(response).get("error", ""))


def connect(config: Mapping[str, Any], secrets: Mapping[str, str], conn: Connection,
         limits: Mapping[str, Any]) -> Bluesky:
    return Bluesky(str(config.get("handle", "")), secrets.get("app_password", ""), conn,
                   service=str(config.get("service_url") or "https://bsky.social"),
                   video_service=str(config.get("video_service_url") or "https://video.bsky.app"),
                   limits=Limits.from_dict(limits, LIMITS), poll_interval=float(config.get("poll_interval", 1.0)))

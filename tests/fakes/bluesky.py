"""A Bluesky PDS and video service as the AT Protocol lexicons describe them (one server plays both).

- ``com.atproto.server.createSession`` → ``accessJwt``, ``did``, ``handle``, ``didDoc`` naming this PDS.
- ``com.atproto.server.getServiceAuth`` (``aud``, ``lxm``) → a service token for that audience and method.
- ``app.bsky.video.getUploadLimits`` (service token for the video service) → ``canUpload`` and what is left today.
- ``app.bsky.video.uploadVideo?did=&name=`` (service token: aud the PDS, lxm ``com.atproto.repo.uploadBlob``)
  → ``{jobStatus}``; ``app.bsky.video.getJobStatus?jobId=`` → ``{jobStatus}``, with ``blob`` once completed.
- ``com.atproto.repo.putRecord`` / ``getRecord`` on ``app.bsky.feed.post`` with a TID record key; a missing
  record is 400 ``RecordNotFound``. ``created`` holds one entry per record key (an overwrite is not a new post);
  ``writes`` counts every putRecord that landed.
Fault routes: ``session``, ``limits``, ``upload``, ``job``, ``putRecord``, ``getRecord``.
"""

from __future__ import annotations

import itertools
import re
from typing import Any
from urllib.parse import urlsplit

import regex

from tests.fakes.server import FakeServer, Request, Response, bearer

TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


class FakeBluesky(FakeServer):
    def __init__(self, handle: str = "campaign.bsky.social", password: str = "app-pass-word",
                 *, job_polls: int = 1) -> None:
        super().__init__()
        self.handle, self.password = handle, password
        self.did = "did:plc:fakecampaign000000000000"
        self.sessions = 0  # createSession calls that succeeded
        self.valid_access: set[str] = set()
        self.expired_access: set[str] = set()
        self.job_polls = job_polls
        self.job_error: str = ""  # set: the video job fails with this message
        self.can_upload = True
        self.records: dict[str, dict[str, Any]] = {}
        self.writes = 0
        self.jobs: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    @property
    def created(self) -> list[dict[str, Any]]:
        return list(self.records.values())

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    def route(self, req: Request) -> Any:
        nsid = req.path.removeprefix("/xrpc/")
        table = {
            ("POST", "com.atproto.server.createSession"): ("session", self.create_session),
            ("GET", "com.atproto.server.getServiceAuth"): ("serviceAuth", self.service_auth),
            ("GET", "app.bsky.video.getUploadLimits"): ("limits", self.upload_limits),
            ("POST", "app.bsky.video.uploadVideo"): ("upload", self.upload_video),
            ("GET", "app.bsky.video.getJobStatus"): ("job", self.job_status),
            ("POST", "com.atproto.repo.putRecord"): ("putRecord", self.put_record),
            ("GET", "com.atproto.repo.getRecord"): ("getRecord", self.get_record),
        }
        return table.get((req.method, nsid))

    def create_session(self, req: Request) -> Response:
        body = req.json()
        if body.get("identifier") != self.handle or body.get("password") != self.password:
            return Response(401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"})
        with self.lock:
            self.sessions += 1
            access = f"access-jwt-{self.sessions}"
            self.valid_access.add(access)
        return Response(200, {"accessJwt": access, "refreshJwt": "refresh-jwt", "handle": self.handle,
                              "did": self.did, "didDoc": {"id": self.did, "service": [
                                  {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                                   "serviceEndpoint": self.url}]}})

    def _unauthorised(self) -> Response:
        return Response(401, {"error": "AuthenticationRequired", "message": "Authentication Required"})

    def _session_refused(self, req: Request) -> Response | None:
        token = bearer(req)
        if token in self.expired_access:
            return Response(400, {"error": "ExpiredToken", "message": "Token has expired"})
        return None if token in self.valid_access else self._unauthorised()

    def expire_sessions(self) -> None:
        """Every access token issued so far runs out (as they do after about two hours)."""
        with self.lock:
            self.expired_access |= self.valid_access
            self.valid_access = set()

    def service_auth(self, req: Request) -> Response:
        refused = self._session_refused(req)
        if refused is not None:
            return refused
        return Response(200, {"token": f"svc|{req.query.get('aud')}|{req.query.get('lxm')}"})

    def _service_ok(self, req: Request, aud: str, lxm: str) -> bool:
        return bearer(req) == f"svc|{aud}|{lxm}"

    def upload_limits(self, req: Request) -> Response:
        if not self._service_ok(req, f"did:web:{self.host}", "app.bsky.video.getUploadLimits"):
            return self._unauthorised()
        if not self.can_upload:
            return Response(200, {"canUpload": False, "error": "daily_limit", "message": "You have reached your daily upload limit"})
        return Response(200, {"canUpload": True, "remainingDailyVideos": 25, "remainingDailyBytes": 10_000_000_000})

    def upload_video(self, req: Request) -> Response:
        if not self._service_ok(req, f"did:web:{self.host}", "com.atproto.repo.uploadBlob"):
            return self._unauthorised()
        if req.query.get("did") != self.did or req.headers.get("content-type") != "video/mp4":
            return Response(400, {"error": "InvalidRequest", "message": "did and a video/mp4 body are required"})
        job_id = f"job{next(self._ids)}"
        with self.lock:
            self.jobs[job_id] = {"jobId": job_id, "did": self.did, "state": "JOB_STATE_CREATED", "progress": 0,
                                 "size": len(req.body), "polls_left": self.job_polls}
        return Response(200, {"jobStatus": self._public(self.jobs[job_id])})

    def job_status(self, req: Request) -> Response:
        job = self.jobs.get(req.query.get("jobId", ""))
        if job is None:
            return Response(400, {"error": "InvalidRequest", "message": "job not found"})
        if job["polls_left"] > 0:
            job["polls_left"] -= 1
            job.update(state="JOB_STATE_ENCODING", progress=50)
        elif self.job_error:
            job.update(state="JOB_STATE_FAILED", error="video_processing_failed", message=self.job_error)
        else:
            job.update(state="JOB_STATE_COMPLETED", progress=100,
                       blob={"$type": "blob", "ref": {"$link": f"bafkrei{job['jobId']}"}, "mimeType": "video/mp4",
                             "size": job["size"]})
        return Response(200, {"jobStatus": self._public(job)})

    @staticmethod
    def _public(job: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in job.items() if k not in ("polls_left", "size")}

    def put_record(self, req: Request) -> Response:
        refused = self._session_refused(req)
        if refused is not None:
            return refused
        body = req.json()
        rkey, record = body.get("rkey", ""), body.get("record") or {}
        if body.get("repo") != self.did or body.get("collection") != "app.bsky.feed.post" or not TID.match(rkey):
            return Response(400, {"error": "InvalidRequest", "message": "bad repo, collection or record key"})
        if len(regex.findall(r"\X", record.get("text", ""))) > 300:
            return Response(400, {"error": "InvalidRecord", "message": "Record/text must not be longer than 300 graphemes"})
        embed = record.get("embed")
        if embed is not None:
            link = ((embed.get("video") or {}).get("ref") or {}).get("$link", "")
            if not any(j.get("blob", {}).get("ref", {}).get("$link") == link for j in self.jobs.values()):
                return Response(400, {"error": "InvalidRecord", "message": "unknown blob"})
        uri = f"at://{self.did}/app.bsky.feed.post/{rkey}"
        with self.lock:
            self.records[rkey] = {"uri": uri, "cid": f"bafyrei{rkey}", "value": record}
            self.writes += 1
        return Response(200, {"uri": uri, "cid": f"bafyrei{rkey}"})

    def get_record(self, req: Request) -> Response:
        found = self.records.get(req.query.get("rkey", ""))
        if found is None or req.query.get("repo") not in (self.did, self.handle):
            return Response(400, {"error": "RecordNotFound", "message": "Could not locate record"})
        return Response(200, found)

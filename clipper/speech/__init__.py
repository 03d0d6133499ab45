"""Speech recognition behind one interface.

``load_backend(options)`` returns an object with ``transcribe(pcm_path, on_progress) -> Transcript``;
``decode_audio`` turns any accepted media file into the 16 kHz mono PCM that the backends read, so
Whisper never opens a user's file itself.
"""

from __future__ import annotations

from clipper.speech.audio import SAMPLE_RATE, decode_audio
from clipper.speech.options import SpeechOptions, load_backend

__all__ = ["SAMPLE_RATE", "SpeechOptions", "decode_audio", "load_backend"]

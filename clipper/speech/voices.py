"""Voice embeddings: Resemblyzer's pretrained speaker encoder, run offline on CPU.

The ``resemblyzer`` wheel ships its weights (``pretrained.pt``, a 3-layer LSTM over 40 mel bands,
256-dimensional L2-normalised output) inside the package: no model hub. We load those weights into the
same small network here rather than importing ``resemblyzer`` itself, whose package import pulls in
``webrtcvad`` (which needs ``pkg_resources``, gone from current setuptools) for features we do not use.
An utterance's embedding is the normalised mean of the embeddings of its 1.6 s partial windows, as
Resemblyzer's ``embed_utterance`` does.

Measured on espeak-ng voices, Resemblyzer alone puts two voices that differ by an octave in pitch
(``en-us`` and ``en-us+f3``) only 0.1–0.2 apart in cosine distance, as close as one voice's own
sentences: it is trained on people, and espeak's voices share one synthetic timbre. So the embedding
gets one more dimension, the utterance's median pitch in octaves above 100 Hz (``PITCH_WEIGHT`` per
octave), which tells such voices apart and also separates most real low and high voices.
"""

from __future__ import annotations

import importlib.util
import logging
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from clipper.errors import TranscriptionError
from clipper.speech.audio import SAMPLE_RATE

log = logging.getLogger(__name__)

N_MELS, WINDOW, HOP = 40, 400, 160  # 25 ms windows every 10 ms at 16 kHz
PARTIAL = 160  # frames (1.6 s) per partial window
TARGET_DBFS = -30.0
PITCH_WEIGHT = 1.0
DIMENSIONS = 257


def weights_path() -> Path:
    spec = importlib.util.find_spec("resemblyzer")  # finds the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise TranscriptionError("Speaker turns need the resemblyzer package: pip install resemblyzer.",
                                 expected=False)
    return Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"


@cache
def encoder() -> Any:
    """The encoder network with Resemblyzer's weights (loaded once per process)."""
    import torch
    from torch import nn

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(N_MELS, 256, 3, batch_first=True)
            self.linear = nn.Linear(256, 256)

        def forward(self, mels: torch.Tensor) -> torch.Tensor:
            _, (hidden, _) = self.lstm(mels)
            raw = torch.relu(self.linear(hidden[-1]))
            return raw / torch.norm(raw, dim=1, keepdim=True).clamp_min(1e-9)

    log.info("loading the voice encoder")
    net = Encoder()
    state = torch.load(weights_path(), map_location="cpu")["model_state"]
    net.load_state_dict({k: v for k, v in state.items() if k.split(".")[0] in ("lstm", "linear")})
    net.eval()
    return net


@cache
def _mel_basis() -> np.ndarray:
    """librosa's default (Slaney) mel filterbank, as Resemblyzer used; computed here so no librosa import
    (seconds of numba start-up in every worker) is needed."""
    f_sp, min_log_hz, min_log_mel, logstep = 200.0 / 3, 1000.0, 15.0, np.log(6.4) / 27.0

    def to_mel(hz: np.ndarray) -> np.ndarray:
        return np.where(hz >= min_log_hz, min_log_mel + np.log(np.maximum(hz, 1e-9) / min_log_hz) / logstep, hz / f_sp)

    def to_hz(mel: np.ndarray) -> np.ndarray:
        return np.where(mel >= min_log_mel, min_log_hz * np.exp(logstep * (mel - min_log_mel)), f_sp * mel)

    fft_freqs = np.linspace(0, SAMPLE_RATE / 2, 1 + WINDOW // 2)
    mel_f = to_hz(np.linspace(to_mel(np.array(0.0)), to_mel(np.array(SAMPLE_RATE / 2)), N_MELS + 2))
    fdiff, ramps = np.diff(mel_f), mel_f[:, None] - fft_freqs[None, :]
    weights = np.maximum(0, np.minimum(-ramps[:-2] / fdiff[:-1, None], ramps[2:] / fdiff[1:, None]))
    weights *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    return weights.astype(np.float32)


def mel_frames(audio: np.ndarray) -> np.ndarray:
    """(frames, 40) power mel spectrogram, as Resemblyzer computes it (librosa defaults, centred)."""
    padded = np.pad(audio, WINDOW // 2, mode="constant")
    count = 1 + (len(padded) - WINDOW) // HOP
    if count <= 0:
        return np.zeros((0, N_MELS), dtype=np.float32)
    idx = np.arange(WINDOW)[None, :] + HOP * np.arange(count)[:, None]
    frames = padded[idx] * np.hanning(WINDOW + 1)[:-1].astype(np.float32)
    power = np.abs(np.fft.rfft(frames, n=WINDOW, axis=1)) ** 2
    return (power @ _mel_basis().T).astype(np.float32)


def normalise(audio: np.ndarray) -> np.ndarray:
    """Quiet audio raised to -30 dBFS (never lowered), as Resemblyzer's preprocessing does."""
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2))) if len(audio) else 0.0
    if rms <= 1e-6:
        return audio
    change = TARGET_DBFS - 20 * np.log10(rms)
    return audio * (10 ** (change / 20)) if change > 0 else audio


def embed_many(clips: list[np.ndarray]) -> np.ndarray:
    """One embedding (``DIMENSIONS`` floats, unit length) per clip of 16 kHz audio; clips under 0.4 s get
    zeros."""
    import torch

    out = np.zeros((len(clips), DIMENSIONS), dtype=np.float32)
    batch, owner = [], []
    for i, clip in enumerate(clips):
        mels = mel_frames(normalise(clip))
        if len(mels) < 40:
            continue
        if len(mels) < PARTIAL:
            mels = np.pad(mels, ((0, PARTIAL - len(mels)), (0, 0)))
        step = PARTIAL  # no overlap: a third less work than Resemblyzer's half-window step, for runs of ~3 s
        for s in range(0, max(1, len(mels) - PARTIAL + step), step):
            part = mels[s:s + PARTIAL]
            if len(part) < PARTIAL // 2 and s:
                break
            batch.append(np.pad(part, ((0, PARTIAL - len(part)), (0, 0))))
            owner.append(i)
    if not batch:
        return out
    with torch.inference_mode():
        partials = encoder()(torch.from_numpy(np.stack(batch))).numpy()
    for i in set(owner):
        mean = partials[[j for j, o in enumerate(owner) if o == i]].mean(axis=0)
        full = np.append(mean / max(float(np.linalg.norm(mean)), 1e-9), PITCH_WEIGHT * pitch_octaves(clips[i]))
        out[i] = full / float(np.linalg.norm(full))
    return out


def pitch_octaves(audio: np.ndarray, frame: int = 640) -> float:
    """Median pitch of the voiced 40 ms frames, in octaves above 100 Hz (0 when none is voiced)."""
    count = len(audio) // frame
    if count == 0:
        return 0.0
    frames = audio[:count * frame].reshape(count, frame).astype(np.float64)
    frames -= frames.mean(axis=1, keepdims=True)
    spec = np.fft.rfft(frames, n=2 * frame, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :frame]
    lo, hi = SAMPLE_RATE // 400, SAMPLE_RATE // 60  # 60-400 Hz
    lag = lo + np.argmax(ac[:, lo:hi], axis=1)
    strength = ac[np.arange(count), lag] / np.maximum(ac[:, 0], 1e-12)
    voiced = lag[strength > 0.5]
    if len(voiced) == 0:
        return 0.0
    return float(np.log2(SAMPLE_RATE / np.median(voiced) / 100.0))

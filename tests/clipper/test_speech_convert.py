"""The CTranslate2 -> openai-whisper conversion maps every tensor one to one onto whisper's model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clipper.speech.convert import convert, read_ctranslate2
from clipper.speech.options import bundled_model_path

whisper = pytest.importorskip("whisper", reason="the openai-whisper extra is not installed")


def test_checkpoint_fits_whisper_exactly(tmp_path: Path) -> None:
    import torch
    from whisper.model import ModelDimensions, Whisper

    path = convert(bundled_model_path(), tmp_path / "tiny.en.pt")
    checkpoint = torch.load(path, weights_only=False)
    assert checkpoint["dims"] == {"n_mels": 80, "n_audio_ctx": 1500, "n_audio_state": 384, "n_audio_head": 6,
                                  "n_audio_layer": 4, "n_vocab": 51864, "n_text_ctx": 448, "n_text_state": 384,
                                  "n_text_head": 6, "n_text_layer": 4}
    model = Whisper(ModelDimensions(**checkpoint["dims"]))
    expected = model.state_dict()
    state = checkpoint["model_state_dict"]
    assert set(state) == set(expected)  # nothing missing, nothing left over (key biases dropped)
    assert all(state[k].shape == expected[k].shape for k in expected)
    model.load_state_dict(state, strict=True)

    ct2 = read_ctranslate2(Path(bundled_model_path()) / "model.bin")
    fused = ct2["decoder/layer_1/self_attention/linear_0/weight"]
    np.testing.assert_array_equal(state["decoder.blocks.1.attn.value.weight"].numpy(), fused[768:].astype(np.float32))
    assert not ct2["decoder/layer_1/self_attention/linear_0/bias"][384:768].any()  # the dropped key bias was zero
    assert checkpoint["alignment_heads"][0] == [1, 0]
    assert not list(tmp_path.glob("*.part"))

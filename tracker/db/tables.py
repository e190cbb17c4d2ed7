"""The tables. Drafts are append-only; their terms are stored as deltas.

Storage grows with what changes, not with drafts × terms:

* ``term_blobs`` is content-addressed: one row per distinct term (its canonical JSON and hash),
  shared by every draft that holds the same term.
* ``draft_terms`` holds a draft's manifest (term key → blob) either in full (a *snapshot*,
  ``drafts.base_id`` is NULL) or as a *delta* against ``base_id``: only the keys whose blob
  differs, with ``blob_id`` NULL marking a key dropped since the base. Delta chains are
  capped in length (see ``store.MAX_CHAIN``), so reading any draft touches a bounded number
  of rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Base:
    """Where Alembic finds the tables (``Base.metadata``)."""

    metadata = metadata


class _Table:
    """A Core table whose columns read as attributes (``DraftRow.id``).

    Plain Core rather than the ORM: every command imports this module, and
    ``sqlalchemy.orm`` alone costs about a fifth of a command's start-up. SQLAlchemy accepts
    these objects wherever it takes a table (``insert(DraftRow)``, ``select_from``, joins).
    """

    def __init__(self, table: Table):
        self.__table__ = table
        for column in table.columns:
            setattr(self, column.key, column)

    def __clause_element__(self) -> Table:
        return self.__table__

    def __getattr__(self, name: str) -> Any:  # columns are set in __init__; this is for typos
        raise AttributeError(f"table {self.__table__.name!r} has no column {name!r}")


NegotiationRow = _Table(Table(
    "negotiations", metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(100), nullable=False, unique=True),
    Column("document", Text, nullable=False),  # canonical JSON of the Negotiation model
    Column("hash", String(80), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
))

DraftRow = _Table(Table(
    "drafts", metadata,
    Column("id", Integer, primary_key=True),
    Column("negotiation_id", Integer, ForeignKey("negotiations.id"), nullable=False),
    Column("slug", String(100), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(80), nullable=False, unique=True),
    Column("date", Date, nullable=False),
    Column("header", Text, nullable=False),  # canonical JSON of DraftHeader
    Column("base_id", Integer, ForeignKey("drafts.id"), nullable=True),
    Column("chain_depth", Integer, nullable=False),
    Column("term_count", Integer, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("negotiation_id", "slug", name="uq_drafts_negotiation_slug"),
    UniqueConstraint("negotiation_id", "seq", name="uq_drafts_negotiation_seq"),
))

DraftParentRow = _Table(Table(
    "draft_parents", metadata,
    Column("draft_id", Integer, ForeignKey("drafts.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("parent_id", Integer, ForeignKey("drafts.id"), nullable=False, index=True),
))

TermBlobRow = _Table(Table(
    "term_blobs", metadata,
    Column("id", Integer, primary_key=True),
    Column("hash", String(80), nullable=False, unique=True),
    Column("body", Text, nullable=False),  # canonical JSON of the Term model
))

DraftTermRow = _Table(Table(
    "draft_terms", metadata,
    Column("draft_id", Integer, ForeignKey("drafts.id"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("blob_id", Integer, ForeignKey("term_blobs.id"), nullable=True),
))

Index("ix_draft_terms_blob_id", DraftTermRow.blob_id)

"""The tables. Drafts are append-only; their terms are stored as deltas.

Storage grows with what changes, not with drafts × terms:

* ``term_blobs`` is content-addressed: one row per distinct term (its canonical JSON and hash),
  shared by every draft that holds the same term.
* ``draft_terms`` holds a draft's manifest (term key → blob) either in full (a *snapshot*,
  ``drafts.base_id`` is NULL) or as a *delta* against ``base_id``: only the keys whose blob
  differs, with ``blob_id`` NULL marking a key dropped since the base. Delta chains are
  capped in length (see ``store.MAX_CHAIN``), so reading any draft touches a bounded number
  of rows.

The models are typed ``Mapped[]`` declarative classes, as the project's stack prescribes; the
store queries them through SQLAlchemy Core (``select(DraftRow.id)``, ``insert(DraftRow)``) and
never hands out live ORM objects.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class NegotiationRow(Base):
    __tablename__ = "negotiations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    document: Mapped[str] = mapped_column(Text)  # canonical JSON of the Negotiation model
    hash: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class DraftRow(Base):
    __tablename__ = "drafts"
    __table_args__ = (
        UniqueConstraint("negotiation_id", "slug", name="uq_drafts_negotiation_slug"),
        UniqueConstraint("negotiation_id", "seq", name="uq_drafts_negotiation_seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    negotiation_id: Mapped[int] = mapped_column(ForeignKey("negotiations.id"))
    slug: Mapped[str] = mapped_column(String(100))
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(80), unique=True)
    date: Mapped[dt.date] = mapped_column(Date)
    header: Mapped[str] = mapped_column(Text)  # canonical JSON of DraftHeader
    base_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"))
    chain_depth: Mapped[int] = mapped_column(Integer)
    term_count: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # The negotiation's history up to and including this draft (``canonical.link_hash``).
    link: Mapped[str] = mapped_column(String(80))
    recorded_by: Mapped[str | None] = mapped_column(String(200))  # NULL: recorded before schema 0003


class DraftParentRow(Base):
    __tablename__ = "draft_parents"

    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)


class TermBlobRow(Base):
    __tablename__ = "term_blobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash: Mapped[str] = mapped_column(String(80), unique=True)
    body: Mapped[str] = mapped_column(Text)  # canonical JSON of the Term model


class DraftTermRow(Base):
    __tablename__ = "draft_terms"

    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    blob_id: Mapped[int | None] = mapped_column(ForeignKey("term_blobs.id"))


Index("ix_draft_terms_blob_id", DraftTermRow.blob_id)


class EventRow(Base):
    """What was learnt about the negotiation after a draft was recorded (``tracker.events``): a
    status change, new evidence for a term, a correction, a revision of the negotiation itself.
    Events join the drafts in one history chain: event ``seq`` numbers them within the negotiation,
    ``after`` is how many drafts it had then (its place among them)."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("negotiation_id", "seq", name="uq_events_negotiation_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    negotiation_id: Mapped[int] = mapped_column(ForeignKey("negotiations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    after: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"), index=True)
    body: Mapped[str] = mapped_column(Text)  # canonical JSON of the event
    hash: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    link: Mapped[str] = mapped_column(String(80))

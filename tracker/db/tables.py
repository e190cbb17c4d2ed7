"""The tables. Drafts are append-only; their terms are stored as deltas.

Storage grows with what changes, not with drafts × terms:

* ``term_blobs`` is content-addressed: one row per distinct term (its canonical JSON and hash),
  shared by every draft that holds the same term.
* ``draft_terms`` holds a draft's manifest (term key → blob) either in full (a *snapshot*,
  ``drafts.base_id`` is NULL) or as a *delta* against ``base_id``: only the keys whose blob
  differs, with ``blob_id`` NULL marking a key dropped since the base. Delta chains are
  capped in length (see ``store.MAX_CHAIN``), so reading any draft touches a bounded number
  of rows.

The tables are SQLAlchemy Core ``Table`` objects on one ``MetaData`` (Alembic's autogenerate
compares against it): the store builds its queries from their columns (``drafts.c.id``) and
reads plain rows, so no command pays for importing the ORM.
"""

from __future__ import annotations

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

negotiations = Table(
    "negotiations", metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(100), nullable=False, unique=True),
    Column("document", Text, nullable=False),  # canonical JSON of the Negotiation model
    Column("hash", String(80), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

drafts = Table(
    "drafts", metadata,
    Column("id", Integer, primary_key=True),
    Column("negotiation_id", ForeignKey("negotiations.id"), nullable=False),
    Column("slug", String(100), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(80), nullable=False, unique=True),
    Column("date", Date, nullable=False),
    Column("header", Text, nullable=False),  # canonical JSON of DraftHeader
    Column("base_id", ForeignKey("drafts.id"), nullable=True),
    Column("chain_depth", Integer, nullable=False),
    Column("term_count", Integer, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    # The negotiation's history up to and including this draft (``canonical.link_hash``).
    Column("link", String(80), nullable=False),
    Column("recorded_by", String(200), nullable=True),  # NULL: recorded before schema 0003
    UniqueConstraint("negotiation_id", "slug", name="uq_drafts_negotiation_slug"),
    UniqueConstraint("negotiation_id", "seq", name="uq_drafts_negotiation_seq"),
)

draft_parents = Table(
    "draft_parents", metadata,
    Column("draft_id", ForeignKey("drafts.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("parent_id", ForeignKey("drafts.id"), nullable=False, index=True),
)

term_blobs = Table(
    "term_blobs", metadata,
    Column("id", Integer, primary_key=True),
    Column("hash", String(80), nullable=False, unique=True),
    Column("body", Text, nullable=False),  # canonical JSON of the Term model
)

draft_terms = Table(
    "draft_terms", metadata,
    Column("draft_id", ForeignKey("drafts.id"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("blob_id", ForeignKey("term_blobs.id"), nullable=True),
)

Index("ix_draft_terms_blob_id", draft_terms.c.blob_id)

# What was learnt about the negotiation after a draft was recorded (``tracker.model.events``): a
# status change, new evidence for a term, a correction, a revision of the negotiation itself.
# Events join the drafts in one history chain: event ``seq`` numbers them within the
# negotiation, ``after`` is how many drafts it had then (its place among them).
events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True),
    Column("negotiation_id", ForeignKey("negotiations.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("after", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("draft_id", ForeignKey("drafts.id"), nullable=True, index=True),
    Column("body", Text, nullable=False),  # canonical JSON of the event
    Column("hash", String(80), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(200), nullable=True),
    Column("link", String(80), nullable=False),
    UniqueConstraint("negotiation_id", "seq", name="uq_events_negotiation_seq"),
)

"""events: status changes, new evidence, corrections and negotiation revisions; who recorded what

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 05:00:00
"""

import datetime as dt

import sqlalchemy as sa

from alembic import op
from tracker.model import canonical

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The history: recorded once, never changed. On PostgreSQL the database itself refuses to
# change it, whoever connects (a writer role may then only INSERT and SELECT; see README).
HISTORY_TABLES = ("negotiations", "drafts", "draft_parents", "term_blobs", "draft_terms", "events")


def upgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_by", sa.String(length=200), nullable=True))
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("negotiation_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("after", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column("link", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["drafts.id"], name=op.f("fk_events_draft_id_drafts")),
        sa.ForeignKeyConstraint(["negotiation_id"], ["negotiations.id"], name=op.f("fk_events_negotiation_id_negotiations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("negotiation_id", "seq", name="uq_events_negotiation_seq"),
    )
    op.create_index(op.f("ix_events_draft_id"), "events", ["draft_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION tracker_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'tracker: % of % refused: the history is append-only', TG_OP, TG_TABLE_NAME "
            "USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        for table in HISTORY_TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION tracker_refuse_change()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION tracker_refuse_change()")


def downgrade() -> None:
    """Drops the events and who recorded what (`tracker db downgrade` asks first when drafts are held)."""
    if op.get_bind().dialect.name == "postgresql":
        for table in HISTORY_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS tracker_refuse_change()")
    op.drop_index(op.f("ix_events_draft_id"), table_name="events")
    op.drop_table("events")
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_column("recorded_by")
    # Schema 0002's chain has neither events nor recorders: each draft's link as it would have been.
    conn = op.get_bind()
    negotiations = sa.table("negotiations", sa.column("id"), sa.column("hash"))
    drafts = sa.table("drafts", sa.column("id"), sa.column("negotiation_id"), sa.column("seq"), sa.column("hash"),
                      sa.column("recorded_at", sa.DateTime(timezone=True)), sa.column("link"))
    for neg_id, neg_hash in conn.execute(sa.select(negotiations.c.id, negotiations.c.hash)).all():
        previous = neg_hash
        rows = conn.execute(sa.select(drafts.c.id, drafts.c.seq, drafts.c.hash, drafts.c.recorded_at)
                            .where(drafts.c.negotiation_id == neg_id).order_by(drafts.c.seq)).all()
        for draft_id, seq, digest, recorded_at in rows:
            if isinstance(recorded_at, str):  # SQLite without type information
                recorded_at = dt.datetime.fromisoformat(recorded_at)
            previous = canonical.link_hash(previous, seq, digest, recorded_at)
            conn.execute(sa.update(drafts).where(drafts.c.id == draft_id).values(link=previous))

"""history chain: each draft commits to the negotiation's history before it

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 01:20:00
"""

import datetime as dt

import sqlalchemy as sa

from alembic import op
from tracker.model import canonical

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link", sa.String(length=80), nullable=True))
    # The links of drafts recorded before the chain existed, in recording order.
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
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.alter_column("link", existing_type=sa.String(length=80), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_column("link")

"""The hotline's knowledge base (answers edited by admins) and the consultations answered on the spot with it.

Revision ID: 0015
"""

from alembic import op

revision = "0015"
down_revision = "0014"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE knowledge_articles (
            id uuid PRIMARY KEY, question text NOT NULL, answer text NOT NULL, keywords jsonb NOT NULL DEFAULT '[]',
            category_code text, active boolean NOT NULL DEFAULT true, changed_by text,
            changed_at timestamptz NOT NULL DEFAULT now())""")
    op.execute("""
        CREATE TABLE consultations (
            id uuid PRIMARY KEY, call_id text UNIQUE, reporter_id uuid REFERENCES reporters (id), question text NOT NULL,
            article_id uuid REFERENCES knowledge_articles (id), answer text NOT NULL, operator text NOT NULL,
            answered_at timestamptz NOT NULL)""")
    op.execute("CREATE INDEX consultations_by_time ON consultations (answered_at)")


def downgrade() -> None:
    op.execute("DROP TABLE consultations")
    op.execute("DROP TABLE knowledge_articles")

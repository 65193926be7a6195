"""Evaluation: the verdict clock and its call-back, the cap on reopenings and the explanation meetings after it,
wide-impact cases and the three-party panels that rate units on them each quarter.

Revision ID: 0005
"""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.execute("""
        ALTER TABLE time_limit_policies
            ADD COLUMN callback_after_days integer NOT NULL DEFAULT 3,
            ADD COLUMN max_reopenings integer NOT NULL DEFAULT 2""")
    op.execute("""
        ALTER TABLE cases
            ADD COLUMN completion_round integer NOT NULL DEFAULT 0,
            ADD COLUMN completed_at timestamptz,
            ADD COLUMN residents_affected integer NOT NULL DEFAULT 1,
            ADD COLUMN wide_impact boolean NOT NULL DEFAULT false""")
    op.execute("""
        CREATE TABLE meetings (
            id bigserial PRIMARY KEY,
            case_id uuid NOT NULL,
            district_id text NOT NULL,
            round integer NOT NULL,
            reason text NOT NULL,
            called_at timestamptz NOT NULL,
            status text NOT NULL,
            scheduled_for timestamptz,
            place text,
            held_at timestamptz,
            summary text,
            accepted boolean,
            recorded_by text,
            UNIQUE (case_id, round))""")
    op.execute("""
        CREATE TABLE panels (
            id uuid PRIMARY KEY,
            district_id text NOT NULL,
            quarter text NOT NULL,
            street_id text NOT NULL,
            members jsonb NOT NULL,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL)""")
    op.execute("""
        CREATE TABLE panel_ratings (
            panel_id uuid NOT NULL REFERENCES panels (id),
            case_id uuid NOT NULL,
            unit_id text NOT NULL,
            community smallint NOT NULL,
            party_member smallint NOT NULL,
            resident smallint NOT NULL,
            comment text,
            rated_at timestamptz NOT NULL,
            PRIMARY KEY (panel_id, case_id))""")


def downgrade() -> None:
    op.execute("DROP TABLE panel_ratings")
    op.execute("DROP TABLE panels")
    op.execute("DROP TABLE meetings")
    op.execute("""ALTER TABLE cases DROP COLUMN completion_round, DROP COLUMN completed_at,
                  DROP COLUMN residents_affected, DROP COLUMN wide_impact""")
    op.execute("ALTER TABLE time_limit_policies DROP COLUMN callback_after_days, DROP COLUMN max_reopenings")

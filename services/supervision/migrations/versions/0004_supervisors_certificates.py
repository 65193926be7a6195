"""Supervisors with their remit (areas, sub-items) and the case each watches; resident supervisors' certificates.

Revision ID: 0004
"""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE supervisors (
            id text PRIMARY KEY,
            jurisdiction_id text NOT NULL REFERENCES jurisdictions (id),
            name text NOT NULL,
            areas text[] NOT NULL DEFAULT '{}',
            categories text[] NOT NULL DEFAULT '{}',
            active boolean NOT NULL DEFAULT true,
            created_at timestamptz NOT NULL DEFAULT now())""")
    op.execute("CREATE TABLE supervisors_version (id integer PRIMARY KEY, version bigint NOT NULL)")
    op.execute("INSERT INTO supervisors_version VALUES (1, 0)")
    op.execute("ALTER TABLE cases ADD COLUMN supervisor_id text, ADD COLUMN community_id text")
    op.execute("CREATE INDEX cases_supervisor_open ON cases (supervisor_id) WHERE status <> 'completed'")
    op.execute("""
        CREATE TABLE certificates (
            id uuid PRIMARY KEY,
            number text NOT NULL UNIQUE,
            holder text NOT NULL,
            jurisdiction_id text NOT NULL,
            areas text[] NOT NULL,
            credential_hash text NOT NULL UNIQUE,
            issued_by text NOT NULL,
            issued_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            revoked_at timestamptz,
            revoked_by text,
            revocation_reason text)""")


def downgrade() -> None:
    op.execute("DROP TABLE certificates")
    op.execute("DROP INDEX cases_supervisor_open")
    op.execute("ALTER TABLE cases DROP COLUMN supervisor_id, DROP COLUMN community_id")
    op.execute("DROP TABLE supervisors_version")
    op.execute("DROP TABLE supervisors")

"""Clocks that warn, breach and climb the escalation ladder; policies per sub-item with warnings, pauses and extension
limits; each jurisdiction's working calendar as stored, editable days; supervision's timeline of each case.

Revision ID: 0003
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute("""
        ALTER TABLE time_limit_policies
            ADD COLUMN category_code text NOT NULL DEFAULT '',
            ADD COLUMN warn_at double precision[] NOT NULL DEFAULT '{0.5,0.8}',
            ADD COLUMN pauses_for text[] NOT NULL DEFAULT '{waiting_for_resident}',
            ADD COLUMN max_extensions integer NOT NULL DEFAULT 1,
            ADD COLUMN max_extension_days integer NOT NULL DEFAULT 10,
            ADD COLUMN reply_hours double precision NOT NULL DEFAULT 8""")
    op.execute("ALTER TABLE time_limit_policies DROP CONSTRAINT time_limit_policies_pkey")
    op.execute("ALTER TABLE time_limit_policies ADD PRIMARY KEY (jurisdiction_id, time_limit_class, category_code)")
    op.execute("""
        CREATE TABLE calendar_years (
            jurisdiction_id text NOT NULL REFERENCES jurisdictions (id),
            year integer NOT NULL,
            source text NOT NULL,
            loaded_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (jurisdiction_id, year))""")
    op.execute("""
        CREATE TABLE calendar_days (
            jurisdiction_id text NOT NULL REFERENCES jurisdictions (id),
            day date NOT NULL,
            workday boolean NOT NULL,
            name text NOT NULL,
            PRIMARY KEY (jurisdiction_id, day))""")
    op.execute("CREATE TABLE time_rules_version (id integer PRIMARY KEY, version bigint NOT NULL)")
    op.execute("INSERT INTO time_rules_version VALUES (1, 0)")
    op.execute("""
        ALTER TABLE deadlines
            ADD COLUMN started_at timestamptz,
            ADD COLUMN warnings jsonb NOT NULL DEFAULT '[]',
            ADD COLUMN fired integer NOT NULL DEFAULT 0,
            ADD COLUMN on_the_clock boolean NOT NULL DEFAULT false,
            ADD COLUMN level text,
            ADD COLUMN paused_at timestamptz,
            ADD COLUMN breached_at timestamptz,
            ADD COLUMN closed_at timestamptz,
            ADD COLUMN outcome text""")
    op.execute("UPDATE deadlines SET started_at = created_at")
    op.execute("ALTER TABLE deadlines ALTER COLUMN started_at SET NOT NULL")
    # The clocks still running on a case (closing them on a unit's step, finding its reply clock).
    op.execute("CREATE INDEX deadlines_case_running ON deadlines (case_id) WHERE status <> 'closed'")
    op.execute("""
        ALTER TABLE cases
            ADD COLUMN time_limit_class text,
            ADD COLUMN escalation_level text,
            ADD COLUMN suspended text""")
    op.execute("""
        CREATE TABLE case_log (
            id bigserial PRIMARY KEY,
            case_id uuid NOT NULL,
            at timestamptz NOT NULL,
            kind text NOT NULL,
            unit_id text,
            text text NOT NULL,
            actor text)""")
    op.execute("CREATE INDEX case_log_case ON case_log (case_id, at)")


def downgrade() -> None:
    op.execute("DROP TABLE case_log")
    op.execute("ALTER TABLE cases DROP COLUMN time_limit_class, DROP COLUMN escalation_level, DROP COLUMN suspended")
    op.execute("DROP INDEX deadlines_case_running")
    op.execute("""ALTER TABLE deadlines DROP COLUMN started_at, DROP COLUMN warnings, DROP COLUMN fired,
                  DROP COLUMN on_the_clock, DROP COLUMN level, DROP COLUMN paused_at, DROP COLUMN breached_at,
                  DROP COLUMN closed_at, DROP COLUMN outcome""")
    op.execute("DROP TABLE time_rules_version")
    op.execute("DROP TABLE calendar_days")
    op.execute("DROP TABLE calendar_years")
    op.execute("DELETE FROM time_limit_policies WHERE category_code <> ''")
    op.execute("ALTER TABLE time_limit_policies DROP CONSTRAINT time_limit_policies_pkey")
    op.execute("ALTER TABLE time_limit_policies ADD PRIMARY KEY (jurisdiction_id, time_limit_class)")
    op.execute("""ALTER TABLE time_limit_policies DROP COLUMN category_code, DROP COLUMN warn_at,
                  DROP COLUMN pauses_for, DROP COLUMN max_extensions, DROP COLUMN max_extension_days,
                  DROP COLUMN reply_hours""")

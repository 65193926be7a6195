"""Every channel's reports, classification and triage, duplicates, photos, verdicts, reveals, imports, Open311 keys.

Revision ID: 0004
"""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE category_classes (code text PRIMARY KEY, name_zh text NOT NULL, name_en text NOT NULL)""")
    op.execute("""
        ALTER TABLE categories
            ADD COLUMN service_code text NOT NULL DEFAULT '',
            ADD COLUMN examples jsonb NOT NULL DEFAULT '[]',
            ADD COLUMN attributes jsonb NOT NULL DEFAULT '[]',
            ADD COLUMN active boolean NOT NULL DEFAULT true,
            ADD COLUMN changed_by text,
            ADD COLUMN changed_at timestamptz NOT NULL DEFAULT now()""")
    op.execute("CREATE INDEX ix_categories_service_code ON categories (service_code) WHERE current")
    op.execute("CREATE TABLE category_tree_version (id integer PRIMARY KEY, version bigint NOT NULL)")
    op.execute("INSERT INTO category_tree_version VALUES (1, 0)")
    op.execute("""
        CREATE TABLE gazetteer (
            id text PRIMARY KEY, kind text NOT NULL, name_zh text NOT NULL, aliases jsonb NOT NULL,
            lat double precision, lon double precision, segments jsonb NOT NULL)""")
    op.execute("CREATE INDEX ix_reporters_phone ON reporters (phone)")
    op.execute("""
        ALTER TABLE cases
            ADD COLUMN category_confidence real NOT NULL DEFAULT 1,
            ADD COLUMN classified_by text NOT NULL DEFAULT 'resident',
            ADD COLUMN needs_triage boolean NOT NULL DEFAULT false,
            ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}',
            ADD COLUMN residents_affected integer NOT NULL DEFAULT 1,
            ADD COLUMN suspected_duplicate_of uuid,
            ADD COLUMN address_id text,
            ADD COLUMN completion_round integer NOT NULL DEFAULT 0""")
    op.execute("CREATE INDEX ix_cases_open_by_category ON cases (category_code, reported_at) WHERE status <> 'completed'")
    op.execute("CREATE INDEX ix_cases_reported_at ON cases (reported_at)")
    op.execute("CREATE INDEX ix_cases_triage ON cases (reported_at) WHERE needs_triage")
    op.execute("""
        CREATE TABLE reports (
            id uuid PRIMARY KEY, case_id uuid NOT NULL REFERENCES cases (id), role text NOT NULL,
            channel text NOT NULL, channel_detail text, external_ref text, description text NOT NULL, reporter_id uuid REFERENCES reporters (id),
            anonymous boolean NOT NULL, submitted_by text, lat double precision NOT NULL, lon double precision NOT NULL,
            address text, similarity real, received_at timestamptz NOT NULL,
            UNIQUE (channel, external_ref))""")
    op.execute("CREATE INDEX ix_reports_case_id ON reports (case_id)")
    op.execute("""
        INSERT INTO reports (id, case_id, role, channel, description, reporter_id, anonymous, lat, lon, address,
                             received_at)
        SELECT id, id, 'primary', channel, description, reporter_id, anonymous, lat, lon, address, reported_at
        FROM cases""")
    op.execute("""
        CREATE TABLE photos (
            id uuid PRIMARY KEY, report_id uuid REFERENCES reports (id), content_type text NOT NULL,
            width integer NOT NULL, height integer NOT NULL, sha256 text NOT NULL, content bytea NOT NULL,
            uploaded_at timestamptz NOT NULL DEFAULT now())""")
    op.execute("CREATE INDEX ix_photos_report_id ON photos (report_id)")
    op.execute("""
        CREATE TABLE classifications (
            id bigserial PRIMARY KEY, case_id uuid NOT NULL REFERENCES cases (id), category_code text NOT NULL,
            category_version integer NOT NULL, confidence real NOT NULL, classified_by text NOT NULL,
            suggested_code text, actor text, reason text, at timestamptz NOT NULL)""")
    op.execute("CREATE INDEX ix_classifications_case_id ON classifications (case_id)")
    op.execute("""
        CREATE TABLE verdicts (
            id bigserial PRIMARY KEY, case_id uuid NOT NULL REFERENCES cases (id), round integer NOT NULL,
            submitter text NOT NULL, verdict text NOT NULL, comment text, via text NOT NULL,
            submitted_at timestamptz NOT NULL, UNIQUE (case_id, round, submitter))""")
    op.execute("""
        CREATE TABLE reveals (
            id bigserial PRIMARY KEY, case_id uuid NOT NULL REFERENCES cases (id), reporter_id uuid NOT NULL,
            actor text NOT NULL, actor_role text NOT NULL, reason text NOT NULL, at timestamptz NOT NULL)""")
    op.execute("""
        CREATE TABLE imports (
            id uuid PRIMARY KEY, filename text NOT NULL, sha256 text NOT NULL, content bytea NOT NULL,
            status text NOT NULL, total_rows integer NOT NULL DEFAULT 0, processed_rows integer NOT NULL DEFAULT 0,
            created_by text NOT NULL, created_at timestamptz NOT NULL, heartbeat_at timestamptz, finished_at timestamptz,
            error text)""")
    op.execute("CREATE INDEX ix_imports_pending ON imports (created_at) WHERE status IN ('pending', 'running')")
    op.execute("""
        CREATE TABLE import_rows (
            import_id uuid NOT NULL REFERENCES imports (id), row_number integer NOT NULL, outcome text NOT NULL,
            code text, field text, message text, tracking_code text, PRIMARY KEY (import_id, row_number))""")
    op.execute("""
        CREATE TABLE api_keys (
            id uuid PRIMARY KEY, name text NOT NULL, key_hash text NOT NULL UNIQUE, prefix text NOT NULL,
            created_at timestamptz NOT NULL, revoked_at timestamptz)""")

"""Each case keeps the words of its description (space-separated), so that finding duplicates does not segment every open case's text
again; an index for open cases by place; the media URL an Open311 client may send with a request.

Revision ID: 0005
"""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.execute("ALTER TABLE cases ADD COLUMN words text")
    op.execute("CREATE INDEX ix_cases_open_near ON cases (lat, lon) WHERE status <> 'completed'")
    op.execute("ALTER TABLE reports ADD COLUMN media_url text")

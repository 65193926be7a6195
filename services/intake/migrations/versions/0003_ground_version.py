"""A version counter for the areas, so each process rebuilds its map of grids only when they change.

Revision ID: 0003
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute("CREATE TABLE ground_version (id integer PRIMARY KEY, version bigint NOT NULL)")
    op.execute("INSERT INTO ground_version VALUES (1, 0)")

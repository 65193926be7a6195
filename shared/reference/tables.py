"""The tables every service carries for reference data: the names it keeps (from the reference events), their
version, and what it published of its own entries. Declared once here; each service adds them to its metadata."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, PrimaryKeyConstraint, Table, Text

_metadata = MetaData()

names = Table(
    "reference_names", _metadata,
    Column("kind", Text, nullable=False),  # unit | category | category_class | area
    Column("id", Text, nullable=False),
    Column("name_zh", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("parent_id", Text),
    Column("level", Text),  # an area's level; a unit's kind
    Column("changed_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("kind", "id"),
)

# Bumped with every name kept, so each process knows when to reload its names.
names_version = Table("reference_names_version", _metadata, Column("id", Integer, primary_key=True),
                      Column("version", BigInteger, nullable=False))

published = Table(
    "reference_published", _metadata,
    Column("key", Text, primary_key=True),  # event type and entry id
    Column("digest", Text, nullable=False),
)


def add_reference_tables(metadata: MetaData) -> None:
    """Declare the reference tables in a service's metadata too (its migrations create them)."""
    for table in (names, names_version, published):
        table.to_metadata(metadata)


#: Version 1 of the reference tables; each service's migration applies it.
REFERENCE_DDL_V1 = (
    """
    CREATE TABLE reference_names (
        kind text NOT NULL,
        id text NOT NULL,
        name_zh text NOT NULL,
        name_en text NOT NULL,
        parent_id text,
        level text,
        changed_at timestamptz NOT NULL,
        PRIMARY KEY (kind, id)
    )
    """,
    "CREATE TABLE reference_names_version (id integer PRIMARY KEY, version bigint NOT NULL)",
    "INSERT INTO reference_names_version (id, version) VALUES (1, 0)",
    "CREATE TABLE reference_published (key text PRIMARY KEY, digest text NOT NULL)",
)
REFERENCE_DDL_V1_DOWN = ("DROP TABLE reference_published", "DROP TABLE reference_names_version",
                         "DROP TABLE reference_names")

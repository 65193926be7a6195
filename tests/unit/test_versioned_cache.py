"""Reference data is rebuilt only when its version counter moves."""

from sqlalchemy import BigInteger, Column, Integer, MetaData, Table

from shared.persistence.versioned_cache import VersionedCache

version_table = Table("v", MetaData(), Column("id", Integer, primary_key=True), Column("version", BigInteger))


class FakeSession:
    """Answers the version query with whatever the test sets."""

    def __init__(self) -> None:
        self.version = 1

    async def scalar(self, _statement) -> int:
        return self.version


async def test_the_value_is_loaded_once_per_version():
    loads: list[int] = []
    session = FakeSession()

    async def load(s) -> str:
        loads.append(s.version)
        return f"directory v{s.version}"

    cache = VersionedCache(version_table, load)
    assert await cache.get(session) == "directory v1"
    assert await cache.get(session) == "directory v1"
    session.version = 2
    assert await cache.get(session) == "directory v2"
    assert loads == [1, 2]

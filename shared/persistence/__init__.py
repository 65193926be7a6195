"""Persistence: the async engine of a service's own database and its Alembic migrations, applied at start."""

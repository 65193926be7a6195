"""Messaging: CloudEvents envelope, transactional outbox and relay, idempotent consumer with dead-lettering."""

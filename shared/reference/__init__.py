"""Reference data across services: what an owner publishes when an entry changes, and the names every service keeps
from those events to show people names rather than codes."""

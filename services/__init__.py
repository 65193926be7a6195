"""The four services; each owns its database and speaks to the others only through events."""

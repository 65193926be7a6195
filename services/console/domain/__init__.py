"""The console's domain."""

"""The console's adapters."""

"""The console's workers."""

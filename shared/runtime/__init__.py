"""What every service process needs to run: settings, logs, metrics, and the service assembly."""

"""The HTTP edge every service shares: errors as {code, message, field}, body limits, auth, health, metrics."""

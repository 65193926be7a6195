"""Code the four services share: event contracts, messaging, persistence, runtime, HTTP edge and auth."""

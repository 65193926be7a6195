"""The gridlink command line and the one-command local platform (embedded PostgreSQL and Tansu, four services)."""

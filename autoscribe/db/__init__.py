"""Storage: models, engine and sessions, IDs, the event log and migrations."""

"""Order to cash, returns and quotes: explicit state machines on top of ingest and publish (DESIGN section 4)."""

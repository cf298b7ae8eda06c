"""Local stand-ins for the external systems and their seed data. Used by `hub demo` and tests only."""

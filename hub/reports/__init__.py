"""Failed-record and run reports, rendered as tables, JSON or CSV."""

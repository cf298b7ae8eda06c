"""The EDI flow around the X12 toolkit (``connectors.x12``): mailboxes in and out, persisted control numbers,
duplicate detection, acknowledgments sent and received, overdue acknowledgments (DESIGN section 4, "EDI")."""

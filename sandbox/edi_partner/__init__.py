"""A trading partner played by the sandbox: sends 850s (and broken files on demand) into its mailbox, collects
what the hub sends, and answers each of our documents with a 997/999, unless told to keep quiet."""

from sandbox.edi_partner.simulator import PartnerSimulator, Received

__all__ = ["PartnerSimulator", "Received"]

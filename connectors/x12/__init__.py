"""EDI trading partners over ANSI X12: normalise -> validate -> acknowledge -> translate.

- ``normalise``: bytes as partners send them -> interchanges (delimiters, encodings, mailbags, ISA12 variants)
- ``validate``: the fast validator compiled from the pyx12-format maps in ``maps/`` (pyx12 is the reference)
- ``acks``: 997 / 999 / TA1 from a validation result
- ``translate``: 850 -> canonical orders; ``partners``: partner profiles (``mappings/partners/*.yaml``)
- ``cli``: ``hub edi validate|translate``

Importing this package is cheap on purpose (the connector registry imports every connector package).
"""

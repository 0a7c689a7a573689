"""The QSMO simulator: realistic event feeds for every QSMO, sent with the publisher client.

``profiles`` (what each QSMO reports and its story), ``model`` (values, rates), ``history``
(the backfill) and ``live`` (the trickle) are pure: time and seed are arguments. ``cli`` is
the ``qsmo-sim`` command that sends them to ingest.
"""

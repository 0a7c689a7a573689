"""The QSMO simulator: realistic event feeds for every QSMO, sent with the publisher client.

``profiles`` (what each QSMO reports and its story), ``model`` (values, rates), ``history``
(the backfill) and ``live`` (the trickle) are pure: time and seed are arguments. ``cli`` is
the ``qsmo-sim`` command that sends them to ingest.

``provider_tools`` plays a year of the provider tools through the gateway (self-assessments,
data calls, a survey wave): ``provider_tools_data`` (pure, seeded) draws what is submitted,
``provider_tools_flow`` the steps, ``provider_tools_api`` the HTTP calls.
"""

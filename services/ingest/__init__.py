"""The ingest service: the HTTP API through which QSMO systems push performance events.

``POST /v1/events`` (JSON) and ``POST /v1/events:csv`` validate a whole request, publish every
event to Kafka and answer 202 only once the broker has acknowledged all of them. See
``docs/ingest.md`` for the API and ``bootstrap.py`` for how the pieces are wired.
"""

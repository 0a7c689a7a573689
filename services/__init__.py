"""The platform's services: ingest, measures, scorecard, notifications."""

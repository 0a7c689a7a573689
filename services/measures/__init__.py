"""Measures service: exactly-once rolling values in MongoDB from the Kafka event stream."""

"""Notifications service: rules over scorecards and dead letters, stored notifications, webhooks."""

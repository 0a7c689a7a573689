"""The GraphQL gateway: one read-and-manage API over the platform (strawberry on FastAPI)."""

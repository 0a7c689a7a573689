"""The GraphQL schema: types, queries, mutations and subscriptions (``build_schema``)."""

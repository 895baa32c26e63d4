"""The GraphQL schema: Strawberry types, inputs and root fields. Thin: each field hands over to a resolver."""

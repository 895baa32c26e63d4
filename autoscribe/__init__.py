"""AutoScribe: the GraphQL back end for radiology reporting."""

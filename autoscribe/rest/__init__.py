"""The REST front door: Avara's AutoScribe REST API (`/v1/autoScribe/...`), as its official SDK
(`avara`) speaks it, over the same operations (autoscribe.operations) the GraphQL schema calls.

A sibling of autoscribe.schema: it imports the layers below, never the GraphQL schema. Its modules:
- routing: `Endpoint` declarations (method, path, handler, body/query/response models) and the
  request pipeline every endpoint goes through (`RestRequest`, serialising the response model);
- auth (bearer tokens), body (JSON objects in), query (query strings in), errors (AppError → HTTP),
  wire (enum spellings), models (response and body models), pages (cursor pages);
- studies, reports: the endpoints, each a few lines over one operation;
- openapi: the OpenAPI 3.1 document generated from the route table and the models;
- app: the Starlette routes, mounted by autoscribe.server.app.
"""

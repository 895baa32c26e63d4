"""Compiled execution of queries: a document is planned once, then answered from rows of columns.

engine.compiled.planner turns a query's selection into a plan (the columns it needs, the reads of
each level, the writers of each object's answer), cached per document, operation and @skip/@include
values; engine.compiled.run carries it out with the GraphQL-free reads of operations.projected and
gives graphql-core the finished `data`, with no resolver call per field; engine.compiled.leaves
completes values exactly as graphql-core does. engine.execution decides, per request, which way a
query goes: a document the planner cannot plan takes the standard executor, whole.
"""

"""GraphQL over HTTP's two response media types: which one a request's Accept header asks for, and
the status of an answer in each (https://graphql.github.io/graphql-over-http/draft/).

- `application/graphql-response+json` when the client lists it first (by quality, then order), and
  when it sends no Accept header at all. Errors that stop a request before execution (a document
  that does not parse or validate, variables that do not coerce, an unknown operation name, a
  refusal over a limit) are 4xx: 400, or 401 when the only fault is a missing token.
- `application/json` for clients that ask for it, and for `*/*` (or `application/*`) alone, which
  is what a fetch-based client sends when it names nothing: such clients predate the new type
  and read every answer with status 200, which is what they get.
- Neither (`Accept: text/plain`): 406, before anything is executed.

In both, an answer stopped before execution has no `data` entry (engine.asgi drops it).
"""

from __future__ import annotations

from collections.abc import Iterable

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
# The Content-Type of each (JSON is UTF-8 by definition; the new type names its charset, as the spec shows).
CONTENT_TYPES = {GRAPHQL_RESPONSE: GRAPHQL_RESPONSE + "; charset=utf-8", JSON: JSON}
NOT_ACCEPTABLE = f"The Accept header must allow {GRAPHQL_RESPONSE} or {JSON}."


def _ranges(accept: str) -> list[tuple[str, float]]:
    """The media ranges of an Accept header with their quality, in the order listed."""
    ranges = []
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if "/" not in media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append((media.lower(), quality))
    return ranges


def _match(media_type: str, ranges: list[tuple[str, float]]) -> tuple[float, int, int] | None:
    """(quality, specificity, -position) of the most specific range that covers `media_type`."""
    kind = media_type.split("/")[0]
    best = None
    for position, (media, quality) in enumerate(ranges):
        specificity = 2 if media == media_type else 1 if media == kind + "/*" else 0 if media == "*/*" else -1
        if specificity >= 0 and (best is None or specificity > best[1]):
            best = (quality, specificity, -position)
    return best


def negotiate(accept: str | None) -> str | None:
    """The media type to answer in, or None when the client accepts neither (406)."""
    if accept is None or not accept.strip():
        return GRAPHQL_RESPONSE
    ranges = _ranges(accept)
    choices = []
    # On a complete tie (one wildcard covers both), the order here decides: JSON first.
    for media_type in (JSON, GRAPHQL_RESPONSE):
        matched = _match(media_type, ranges)
        if matched is not None and matched[0] > 0:
            choices.append((matched, media_type))
    if not choices:
        return None
    return max(choices, key=lambda choice: choice[0])[1]


def request_error_status(media_type: str | None, codes: Iterable[str]) -> int:
    """The status of an answer stopped before execution, whose errors carry `codes`."""
    if media_type != GRAPHQL_RESPONSE:
        return 200  # application/json: a well-formed request is answered 200, whatever its errors
    codes = set(codes)
    if "INTERNAL_SERVER_ERROR" in codes:
        return 500
    if codes == {"UNAUTHENTICATED"}:
        return 401
    return 400

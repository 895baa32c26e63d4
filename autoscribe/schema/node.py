"""The Node interface: every object with a type-prefixed ID."""

import strawberry


@strawberry.interface(description="An object that node(id) can fetch by its ID.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="Type-prefixed identifier: stu_ (Study), rep_ (Report), usr_ (User) or inv_ (Invitation), then 32 "
        "lowercase hex digits."
    )

"""The Node interface: every object with a type-prefixed ID."""

import strawberry


@strawberry.interface
class Node:
    id: strawberry.ID = strawberry.field(
        description="Type-prefixed identifier: stu_, rep_, usr_, inv_ followed by 32 lowercase hex digits."
    )

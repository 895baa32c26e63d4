"""The schema documents itself: every type, field, argument, input field and enum value a client
can introspect has a description; each root field says the right it needs and the codes it can end
in, as its operation declares them; and the limits an input's description states are the ones its
rules check. (tests/test_schema_linter.py runs graphql-schema-linter's rules over schema.graphql.)"""

from __future__ import annotations

import graphql
import pytest

from autoscribe.operations import declared
from autoscribe.operations.study_rules import (
    CreateStudyRules,
    PriorReportRules,
    ReportMetadataRules,
    UpdateStudyRules,
)
from autoscribe.operations.user_rules import InviteRules, PersonChangeRules
from autoscribe.schema.descriptions import requirements, stated
from autoscribe.server.engine.schema import build_schema, sdl
from tests.support.schema_docs import stated_limits, undescribed

# Root fields that call no declared operation, and say so in their own words.
UNDECLARED = {"Query": {"node", "me"}, "Subscription": {"worklist", "reportStatusChanged"}}

# Each input type and the rules its fields are checked by.
RULES = {
    "CreateStudyInput": CreateStudyRules,
    "UpdateStudyInput": UpdateStudyRules,
    "StudyReportMetadataInput": ReportMetadataRules,
    "PriorReportInput": PriorReportRules,
    "InviteUserInput": InviteRules,
    "UpdateUserInput": PersonChangeRules,
    "UpdateInvitationInput": PersonChangeRules,
}


async def test_every_part_of_the_schema_has_a_description(api, clinic):
    data = await api.ok(graphql.get_introspection_query(descriptions=True), token=clinic.key)
    types = [t for t in data["__schema"]["types"] if not t["name"].startswith("__")]
    assert {"Study", "StudyFilter", "WorklistEventType", "ErrorCode", "DateTime"} <= {t["name"] for t in types}
    assert undescribed(types) == []


def test_the_walk_finds_what_is_not_described():
    schema = graphql.build_schema('''
        """Described."""
        type Query { a(x: Int): E, b: String }
        enum E { ONE }
        input I { f: Int }
        scalar S
    ''')
    types = graphql.introspection_from_schema(schema)["__schema"]["types"]
    assert undescribed([t for t in types if t["name"] in {"Query", "E", "I", "S"}]) == [
        "E", "E.ONE", "I", "I.f", "Query.a", "Query.a(x)", "Query.b", "S",
    ]
    lowercase = graphql.build_schema('"""described."""\ntype Query { """Fine."""\na: Int }')
    types = graphql.introspection_from_schema(lowercase)["__schema"]["types"]
    assert undescribed([t for t in types if t["name"] == "Query"]) == ["Query (not capitalized)"]


def _operation_of(type_name: str, field_name: str) -> declared.Declared | None:
    """The declared operation a root field's resolver calls (`module.function(...)`), if any."""
    names = build_schema().get_field_for_type(field_name, type_name).base_resolver.wrapped_func.__code__.co_names
    found = [op for op in declared.OPERATIONS.values()
             if op.name.split(".")[0] in names and op.name.split(".")[1] in names]
    assert len(found) <= 1, (field_name, [op.name for op in found])
    return found[0] if found else None


@pytest.mark.parametrize("root", ["Query", "Mutation", "Subscription"])
def test_each_root_field_states_its_right_and_error_codes(root):
    fields = getattr(graphql.build_schema(sdl()), f"{root.lower()}_type").fields
    for name, field in fields.items():
        op = _operation_of(root, name) if root != "Subscription" else None
        if name in UNDECLARED.get(root, set()):
            assert op is None, name
            assert "Requires: " in field.description and "Errors: UNAUTHENTICATED" in field.description, name
            continue
        assert op is not None, f"{root}.{name} calls no declared operation"
        assert field.description.endswith(" " + stated(op)), (name, field.description)


def test_the_stated_codes_are_the_declared_ones():
    text = stated(declared.OPERATIONS["studies.update_study"])
    assert text == (
        "Requires: an API key, or a user with canManageStudies (never a reroute session). "
        "Errors: UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, BAD_USER_INPUT, CONFLICT."
    )
    # A link is its own credential: no bearer, so no UNAUTHENTICATED.
    assert stated(declared.OPERATIONS["invitation_links.accept_invitation"]).endswith(
        "Errors: BAD_USER_INPUT, CONFLICT."
    )
    with pytest.raises(TypeError, match="not a declared operation"):
        requirements(sdl)


@pytest.mark.parametrize("input_name", sorted(RULES))
def test_the_limits_an_input_states_are_the_ones_checked(input_name):
    fields = graphql.build_schema(sdl()).type_map[input_name].fields
    limits = stated_limits(RULES[input_name])
    assert limits, f"{RULES[input_name].__name__} has no limits to state"
    for name, phrases in limits.items():
        for phrase in phrases:
            assert phrase in fields[name].description.lower(), (input_name, name, phrase, fields[name].description)

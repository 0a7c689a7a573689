"""Stakeholder lists and a review's deliveries through the schema (fakes behind the ports)."""

from datetime import timedelta

from gateway_unit_support import NOW, Harness, error_codes

from services.notifications.models import Delivery

CREATE = (
    'mutation($m: [StakeholderMemberInput!]!) { createStakeholderList(name: "OMB (RMO)", '
    "kind: OMB, members: $m) { id name kind qsmoId attachPdf memberCount "
    "members { name address } createdBy } }"
)
MEMBERS = [
    {"name": "Jane Doe", "address": "jane.doe@OMB.example.gov"},
    {"name": "Raj Iyer", "address": "raj@omb.example.gov"},
]


async def test_an_admin_creates_a_list_and_only_admins_see_the_addresses(
    harness: Harness,
) -> None:
    created = await harness.data(CREATE, {"m": MEMBERS}, who="admin")
    assert created["createStakeholderList"] == {
        "id": "omb-rmo",
        "name": "OMB (RMO)",
        "kind": "OMB",
        "qsmoId": None,
        "attachPdf": True,
        "memberCount": 2,
        "members": [
            {"name": "Jane Doe", "address": "jane.doe@omb.example.gov"},  # domain normalised
            {"name": "Raj Iyer", "address": "raj@omb.example.gov"},
        ],
        "createdBy": "t-admin",
    }
    query = "{ stakeholderLists { id memberCount members { name address } } }"
    for who in ("viewer", "pub:cybersecurity"):
        (listed,) = (await harness.data(query, who=who))["stakeholderLists"]
        assert listed["memberCount"] == 2
        assert [m["address"] for m in listed["members"]] == [None, None]
        assert [m["name"] for m in listed["members"]] == ["Jane Doe", "Raj Iyer"]
    (listed,) = (await harness.data(query, who="admin"))["stakeholderLists"]
    assert listed["members"][1]["address"] == "raj@omb.example.gov"


async def test_an_invalid_address_is_bad_user_input_naming_it_and_stores_nothing(
    harness: Harness,
) -> None:
    members = [*MEMBERS, {"name": "Typo", "address": "x@"}]
    result = await harness.run(CREATE, {"m": members}, who="admin")
    assert error_codes(result) == ["BAD_USER_INPUT"]
    (error,) = result.errors or []
    assert error.extensions == {"code": "BAD_USER_INPUT", "field": "members[2].address"}
    assert error.message == (
        "members[2].address: 'x@' is not an email address: There must be something after "
        "the @-sign."
    )
    assert harness.stakeholder_records.lists == {}


async def test_bad_input_names_its_field(harness: Harness) -> None:
    cases = {
        'createStakeholderList(name: "Leaders", kind: QSMO_LEADERSHIP, members: []) { id }': (
            "qsmo",
            "a QSMO_LEADERSHIP list names its QSMO",
        ),
        'createStakeholderList(name: "x", id: "Not A Slug", kind: OTHER, members: []) { id }': (
            "id",
            "must be a slug",
        ),
        'createStakeholderList(name: "x", kind: OTHER, members: [{name: "a", address: '
        '"a@b.gov"}, {name: "b", address: "A@B.gov"}]) { id }': (
            "members[1].address",
            "is already on the list (members[0])",
        ),
        'createStakeholderList(name: "x", kind: OTHER, qsmo: "nope", members: []) { id }': (
            "qsmo",
            "nope",
        ),
    }
    for selection, (field, words) in cases.items():
        result = await harness.run(f"mutation {{ {selection} }}", who="admin")
        (error,) = result.errors or []
        assert error.extensions == {"code": "BAD_USER_INPUT", "field": field}, error.message
        assert words in error.message
    assert harness.stakeholder_records.lists == {}


async def test_update_changes_what_is_given_and_a_second_create_is_refused(
    harness: Harness,
) -> None:
    await harness.data(CREATE, {"m": MEMBERS}, who="admin")
    again = await harness.run(CREATE, {"m": MEMBERS}, who="admin")
    assert again.errors is not None
    assert again.errors[0].extensions == {"code": "BAD_USER_INPUT", "field": "id"}
    updated = await harness.data(
        'mutation { updateStakeholderList(id: "omb-rmo", attachPdf: false, '
        'qsmo: "cybersecurity", kind: QSMO_LEADERSHIP) '
        "{ name kind qsmoId attachPdf memberCount } }",
        who="admin",
    )
    assert updated["updateStakeholderList"] == {
        "name": "OMB (RMO)",
        "kind": "QSMO_LEADERSHIP",
        "qsmoId": "cybersecurity",
        "attachPdf": False,
        "memberCount": 2,
    }
    cleared = await harness.run(
        'mutation { updateStakeholderList(id: "omb-rmo", qsmo: null) { qsmoId } }', who="admin"
    )
    assert error_codes(cleared) == ["BAD_USER_INPUT"]  # a leadership list keeps its QSMO
    deleted = await harness.data('mutation { deleteStakeholderList(id: "omb-rmo") }', who="admin")
    assert deleted == {"deleteStakeholderList": "omb-rmo"}
    missing = await harness.run('mutation { deleteStakeholderList(id: "omb-rmo") }', who="admin")
    assert error_codes(missing) == ["NOT_FOUND"]


def _delivery(identifier: str, channel: str, recipient: str, qsmo: str | None) -> Delivery:
    return Delivery(
        id=identifier,
        notification_id="review:FY2026-Q1|cybersecurity",
        notification_state="raised",
        subscription_id="omb" if channel == "email" else "sub_1",
        qsmo=qsmo,
        url=f"mailto:{recipient}" if channel == "email" else recipient,
        status="delivered",
        attempts=1,
        max_attempts=6,
        created_at=NOW,
        updated_at=NOW,
        kind="review",
        channel="email" if channel == "email" else "webhook",
        recipient=recipient,
    )


async def test_review_deliveries_mask_addresses_for_keys_that_do_not_manage_lists(
    harness: Harness,
) -> None:
    harness.notifications.stored_deliveries += [
        _delivery("dlv_1", "email", "jane.doe@omb.example.gov", "cybersecurity"),
        _delivery("dlv_2", "webhook", "https://hooks.example.gov/q", "cybersecurity"),
        _delivery("dlv_3", "email", "x@omb.example.gov", "cybersecurity").model_copy(
            update={"notification_id": "review:other", "created_at": NOW - timedelta(1)}
        ),
    ]
    query = (
        '{ reviewDeliveries(reviewId: "FY2026-Q1|cybersecurity") '
        "{ nodes { id channel recipient url } } }"
    )
    admin = (await harness.data(query, who="admin"))["reviewDeliveries"]["nodes"]
    assert sorted((n["channel"], n["recipient"]) for n in admin) == [
        ("EMAIL", "jane.doe@omb.example.gov"),
        ("WEBHOOK", "https://hooks.example.gov/q"),
    ]
    publisher = (await harness.data(query, who="pub:cybersecurity"))["reviewDeliveries"]
    email = next(n for n in publisher["nodes"] if n["channel"] == "EMAIL")
    assert (email["recipient"], email["url"]) == ("j…@omb.example.gov", "mailto:j…@omb.example.gov")
    other = (await harness.data(query, who="pub:financial-management"))["reviewDeliveries"]
    assert other["nodes"] == []  # another QSMO's review's deliveries are not shown
    assert error_codes(await harness.run(query, who="viewer")) == ["FORBIDDEN"]


async def test_a_name_without_letters_or_digits_needs_an_id(harness: Harness) -> None:
    for name, field in (("!!!", "id"), ("   ", "name")):
        result = await harness.run(
            f'mutation {{ createStakeholderList(name: "{name}", kind: OTHER, members: []) '
            "{ id } }",
            who="admin",
        )
        (error,) = result.errors or []
        assert error.extensions == {"code": "BAD_USER_INPUT", "field": field}, error.message
    assert harness.stakeholder_records.lists == {}

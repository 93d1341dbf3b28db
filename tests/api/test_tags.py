"""TagResource, UntagResource, ListResourceTags and their TagException rules."""

from tests.api.conftest import NOBODY, SHARED_KEY_ID, error_of


def test_tag_untag_and_list(kms):
    client = kms()
    client.tag_resource(KeyId=SHARED_KEY_ID, Tags=[{"TagKey": "Env", "TagValue": "prod"},
                                                   {"TagKey": "Team", "TagValue": "core"}])
    assert client.list_resource_tags(KeyId=SHARED_KEY_ID)["Tags"] == [
        {"TagKey": "Env", "TagValue": "prod"}, {"TagKey": "Team", "TagValue": "core"}]
    client.untag_resource(KeyId=SHARED_KEY_ID, TagKeys=["Env", "Absent"])
    listed = client.list_resource_tags(KeyId=SHARED_KEY_ID)
    assert listed["Tags"] == [{"TagKey": "Team", "TagValue": "core"}] and listed["Truncated"] is False


def test_list_resource_tags_pages(kms):
    client = kms()
    client.tag_resource(KeyId=SHARED_KEY_ID, Tags=[{"TagKey": f"k{n}", "TagValue": ""} for n in range(4)])
    first = client.list_resource_tags(KeyId=SHARED_KEY_ID, Limit=3)
    rest = client.list_resource_tags(KeyId=SHARED_KEY_ID, Limit=3, Marker=first["NextMarker"])
    assert first["Truncated"] is True and rest["Truncated"] is False
    assert len(first["Tags"] + rest["Tags"]) == 5


def test_tag_exceptions(kms):
    client = kms()
    assert error_of(client.tag_resource, KeyId=SHARED_KEY_ID, Tags=[{"TagKey": "aws:x", "TagValue": "y"}]) == (
        "TagException", "Tags beginning with aws: are reserved")
    assert error_of(client.tag_resource, KeyId=SHARED_KEY_ID, Tags=[{"TagKey": "a", "TagValue": "1"},
                                                                    {"TagKey": "a", "TagValue": "2"}]) == (
        "TagException", "Duplicate tag keys")
    many = [{"TagKey": f"t{n}", "TagValue": "v"} for n in range(50)]
    assert error_of(client.tag_resource, KeyId=SHARED_KEY_ID, Tags=many) == ("TagException", "Too many tags")
    code, message = error_of(client.tag_resource, KeyId=SHARED_KEY_ID, Tags=[{"TagKey": "k" * 129, "TagValue": ""}])
    assert code == "ValidationException" and "128" in message


def test_tags_need_permission_and_a_key_not_pending_deletion(kms):
    client = kms()
    assert error_of(kms(NOBODY).tag_resource, KeyId=SHARED_KEY_ID,
                    Tags=[{"TagKey": "a", "TagValue": "b"}])[0] == "AccessDeniedException"
    client.schedule_key_deletion(KeyId=SHARED_KEY_ID, PendingWindowInDays=7)
    code, message = error_of(client.tag_resource, KeyId=SHARED_KEY_ID, Tags=[{"TagKey": "a", "TagValue": "b"}])
    assert code == "KMSInvalidStateException" and message.endswith("is pending deletion.")
    assert client.list_resource_tags(KeyId=SHARED_KEY_ID)["Tags"] == [{"TagKey": "Team", "TagValue": "payments"}]

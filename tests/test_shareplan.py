"""The share-link rules, pure: when a link is reused, replaced, deleted or kept (zsync.shareplan)."""

from __future__ import annotations

import datetime as dt

import pytest

from zsync.errors import RemoteError
from zsync.models import SHARE_DESCRIPTION, RemoteRecord, Share, ShareLink
from zsync.planning import Plan, RemoteState
from zsync.shareplan import CreateShareLink, DeleteShareLink, share_link, share_url, with_share

TODAY = dt.date(2026, 12, 2)
PLAN = Plan(record_action="update-draft", steps=(), status="unchanged", local_version="1.0.0")


def link(days_left: int | None, permission: str = "preview", mine: bool = True, id_: str = "a") -> ShareLink:
    expires = None if days_left is None else TODAY + dt.timedelta(days=days_left)
    return ShareLink(id_, permission, expires, SHARE_DESCRIPTION if mine else "for my colleague", "tok")


def draft(published: bool = False) -> RemoteRecord:
    return RemoteRecord(
        id="7", parent_id="6", is_published=published, is_draft=True, status=None, revision_id=None,
        doi=None, concept_doi=None, html_url=None, version_index=1, metadata={}, access={},
        custom_fields={},
    )  # fmt: skip


def plan_for(*links: ShareLink, setting: Share | None = None, published: bool = False) -> Plan:
    state = RemoteState(draft=draft(published), share_links=links)
    return with_share(PLAN, setting or Share("preview", 30), state, today=TODAY)


def test_no_setting_no_change() -> None:
    assert with_share(PLAN, None, RemoteState(), today=TODAY) is PLAN


def test_a_first_link_is_created_for_the_lifetime_asked() -> None:
    plan = plan_for()
    assert plan.steps == (CreateShareLink("preview", "2027-01-01"),)
    assert plan.share is not None and plan.share.action == "create"


@pytest.mark.parametrize("days_left", [30, 15])
def test_a_link_with_at_least_half_its_lifetime_left_is_reused(days_left: int) -> None:
    plan = plan_for(link(days_left))
    assert plan.steps == () and plan.share is not None and plan.share.action == "reuse"


def test_a_link_with_less_than_half_left_is_replaced_but_kept_until_its_date() -> None:
    plan = plan_for(link(14))
    assert plan.steps == (CreateShareLink("preview", "2027-01-01"),)  # no delete: a sent URL still works
    assert plan.share is not None and plan.share.action == "replace"


def test_expired_other_permission_and_too_long_links_are_deleted_after_the_new_one() -> None:
    plan = plan_for(
        link(0, id_="old"), link(20, "view", id_="view"), link(200, id_="long"), link(None, id_="ever")
    )
    assert plan.steps[0] == CreateShareLink("preview", "2027-01-01")
    assert [s.link_id for s in plan.steps[1:] if isinstance(s, DeleteShareLink)] == [
        "old",
        "view",
        "long",
        "ever",
    ]


def test_links_a_person_made_are_never_touched() -> None:
    plan = plan_for(link(0, mine=False), link(20, mine=False))
    assert plan.steps == (CreateShareLink("preview", "2027-01-01"),)


def test_a_view_link_waits_until_the_record_was_published() -> None:
    waiting = plan_for(setting=Share("view", 30))
    assert waiting.steps == () and waiting.share is not None and waiting.share.action == "wait"
    assert any("opens only a published record" in w for w in waiting.warnings)
    assert plan_for(setting=Share("view", 30), published=True).steps == (
        CreateShareLink("view", "2027-01-01"),
    )


def test_the_url_is_the_share_dialogs() -> None:
    document = {"links": {"preview_html": "https://zenodo.org/records/7?preview=1",
                          "record_html": "https://zenodo.org/records/7"}}  # fmt: skip
    assert share_url(document, link(3)) == "https://zenodo.org/records/7?preview=1&token=tok"
    assert share_url(document, link(3, "view")) == "https://zenodo.org/records/7?token=tok"


def test_a_token_of_another_shape_is_refused_never_put_in_a_url() -> None:
    with pytest.raises(RemoteError):
        share_link({"id": "a", "permission": "preview", "token": "x&admin=1 y"})
    assert share_link({"id": "a", "permission": "preview", "token": "eyJ.a-b_c"}).expires_at is None


def test_the_token_is_not_in_a_repr() -> None:
    assert "tok" not in repr(link(3)).replace("token", "")

"""Share links for co-authors in the plan. Pure, like `zsync.planning`, whose plan it extends.

A share link is an InvenioRDM secret link of the record's parent (so it covers every version and
draft of the record): a co-author opens its URL without an account. The facts, with their sources,
are in docs/communities.md ("Secret links"). zsync's rules:

- zsync's links are the ones with its description (`SHARE_DESCRIPTION`); links a person made on the
  web are never touched.
- A link of the configured permission is reused while it is valid for at least half of `expires`
  (`min_days`: 15 of 30 days) and not for longer than `expires` from today. Otherwise a new one is
  made (`CreateShareLink`), valid for `expires` days; InvenioRDM cannot extend a link
  ("Cannot postpone expiration of links"), so a new one is the only way to lengthen it.
- zsync's links that have expired, have another permission, or outlive `expires` are deleted, after
  the new link exists (a run stopped between the two leaves a valid link, which the next run reuses).
  A replaced link that is still valid is kept until its date, so a URL already sent keeps working;
  with the half-life rule, at most two of zsync's links are valid at any time.
- A `view` link opens only a published record (InvenioRDM gives drafts to preview links only; its
  share dialog offers view links "only after the record is published"), so for a record never
  published zsync makes none and says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from zsync import serverids
from zsync.errors import RemoteError
from zsync.frozen import field, frozen, replace
from zsync.lazyre import Lazy
from zsync.models import SHARE_DESCRIPTION, Config, Share, ShareLink
from zsync.planning import Plan, PlanOptions, RemoteState, Step

__all__ = [
    "SHARE_DESCRIPTION",
    "CreateShareLink",
    "DeleteShareLink",
    "ShareLink",
    "SharePlan",
    "share_setting",
    "share_url",
    "with_share",
]

# itsdangerous tokens (invenio-rdm-records secret_links/serializers.py) are base64url and dots.
_TOKEN = Lazy(r"[A-Za-z0-9_.~-]{1,2000}")


@frozen
class CreateShareLink(Step):
    """`POST /records/{id}/access/links`: a new link for co-authors."""

    permission: str
    expires_at: str  # YYYY-MM-DD, as InvenioRDM's SecretLink.expires_at takes it
    calls: ClassVar[tuple[str, ...]] = ("create_share_link",)

    def describe(self) -> str:
        return f"create a {self.permission} link for co-authors, valid until {self.expires_at}"


@frozen
class DeleteShareLink(Step):
    """`DELETE /records/{id}/access/links/{link_id}`: one of zsync's links that is no longer right."""

    link_id: str
    reason: str
    calls: ClassVar[tuple[str, ...]] = ("delete_share_link",)

    def describe(self) -> str:
        return f"delete zsync's earlier link for co-authors ({self.reason})"


@frozen
class SharePlan:
    """What the run does about the share link: `create` (none yet), `replace` (a new one instead of
    one expired or ending too soon), `reuse`, or `wait` (a view link before publication).
    `link` is the reused link (its token is never shown; the URL is built after the run)."""

    action: Literal["create", "replace", "reuse", "wait"]
    permission: str
    expires_at: str | None
    link: ShareLink | None = field(default=None, repr=False, compare=False)

    def describe(self) -> str:
        if self.action == "wait":
            return (
                "share: no view link yet: a view link opens only a published record (InvenioRDM gives "
                "drafts to preview links); write share: {permission: preview} to share the draft"
            )
        verb = {"create": "create", "replace": "replace", "reuse": "reuse"}[self.action]
        return f"share: {verb} the {self.permission} link for co-authors (valid until {self.expires_at})"


def share_setting(config: Config, options: PlanOptions) -> Share | None:
    """The config's `share:`, or its defaults when `--share-link` asks for one; None: no link."""
    return config.share or (Share() if options.share_link else None)


def min_days(setting: Share) -> int:
    """A link is reused while it has at least this many days left: half its lifetime, rounded up."""
    return (setting.expires_days + 1) // 2


def with_share(plan: Plan, setting: Share | None, state: RemoteState, *, today: dt.date) -> Plan:
    """`plan` with the share-link steps appended and `share` set; unchanged without a setting."""
    if setting is None:
        return plan
    never_published = state.record is None and not (state.draft is not None and state.draft.is_published)
    if setting.permission == "view" and never_published:
        share = SharePlan("wait", setting.permission, None)
        return replace(plan, share=share, warnings=(*plan.warnings, share.describe()))
    mine = [link for link in state.share_links or () if link.owned()]
    usable = [link for link in mine if _usable(link, setting, today)]
    fresh = [link for link in usable if (_date(link) - today).days >= min_days(setting)]
    steps: list[Step] = []
    if fresh:
        current = max(fresh, key=_date)
        share = SharePlan("reuse", setting.permission, _date(current).isoformat(), current)
    else:
        until = (today + dt.timedelta(days=setting.expires_days)).isoformat()
        share = SharePlan("replace" if mine else "create", setting.permission, until)
        steps.append(CreateShareLink(setting.permission, until))
    steps += [DeleteShareLink(link.id, _why_not(link, setting, today)) for link in mine if link not in usable]
    return replace(plan, steps=(*plan.steps, *steps), share=share)


def _date(link: ShareLink) -> dt.date:
    return link.expires_at or dt.date.max  # only usable (dated) links are asked


def _usable(link: ShareLink, setting: Share, today: dt.date) -> bool:
    """Of the configured permission, still valid, and not valid longer than `expires` allows."""
    latest = today + dt.timedelta(days=setting.expires_days)
    return (
        link.permission == setting.permission
        and link.expires_at is not None
        and today < link.expires_at <= latest
    )


def _why_not(link: ShareLink, setting: Share, today: dt.date) -> str:
    if link.permission != setting.permission:
        return f"a {link.permission} link; the config asks for {setting.permission}"
    if link.expires_at is None:
        return "it never expires"
    if link.expires_at <= today:
        return f"expired on {link.expires_at.isoformat()}"
    return f"valid until {link.expires_at.isoformat()}, longer than expires: {setting.expires_days}d"


def share_link(document: Mapping[str, Any]) -> ShareLink:
    """A link as `GET/POST /records/{id}/access/links` answers it; its token's shape is checked."""
    token = document.get("token")
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise RemoteError(
            "Zenodo answered with a share link whose token is not a URL-safe text",
            hint="is the endpoint Zenodo, and is no proxy rewriting its answers?",
        )
    expires = document.get("expires_at")
    try:
        expires_at = dt.date.fromisoformat(str(expires)[:10]) if expires else None
    except ValueError as exc:
        raise RemoteError(f"Zenodo answered with a share link expiring on {expires!r}, not a date") from exc
    return ShareLink(
        id=serverids.opaque_id(document.get("id"), "a share link id"),
        permission=str(document.get("permission")),
        expires_at=expires_at,
        description=str(document.get("description") or ""),
        token=token,
    )


def share_url(record_document: Mapping[str, Any], link: ShareLink) -> str:
    """The URL a co-author opens, as the web interface's share dialog copies it (invenio-app-rdm
    landing_page/ShareOptions/AccessLinks/LinksSearchItem.js): a view link on `links.record_html` (or
    `self_html`) `?token=`, a preview link on `links.preview_html` (`/records/{id}?preview=1`) `&token=`."""
    links = record_document.get("links")
    links = links if isinstance(links, Mapping) else {}
    if link.permission == "preview":
        base = serverids.url(links.get("preview_html"), "a preview address")
        joiner = "&" if base and "?" in base else "?"
    else:
        base = serverids.url(links.get("record_html") or links.get("self_html"), "a record address")
        joiner = "?"
    if not base:
        raise RemoteError("Zenodo's answer has no web address of the record to share")
    return f"{base}{joiner}token={link.token}"

"""Communities and their requests as zsync reads them: frozen values, no I/O.

A `Community` is what `GET /api/communities/{slug}` gives; a `CommunityRequest` is an InvenioRDM
request (invenio-requests) of type `community-submission` (the review of a draft) or
`community-inclusion` (a published record into a community); `CommunityState` is everything about
communities that decides a plan. See docs/communities.md for the contract and its sources.
"""

from __future__ import annotations

from zsync.frozen import frozen

SUBMISSION = "community-submission"
INCLUSION = "community-inclusion"

# invenio-requests customizations/request_types.py: submitted is open; these four are closed.
CLOSED_STATUSES = frozenset({"accepted", "declined", "cancelled", "expired"})
REFUSED_STATUSES = frozenset({"declined", "cancelled", "expired"})


@frozen
class Community:
    """A community on the instance. `id` is its UUID (what requests and `parent.communities` name)."""

    slug: str
    id: str
    title: str
    html_url: str | None = None


@frozen
class CommunityRequest:
    """A review or inclusion request: `status` is created, submitted, accepted, declined, cancelled or
    expired; `comment` the last comment in its timeline (a curator's reason), when read."""

    id: str
    type: str
    status: str
    community_id: str
    record_id: str | None
    html_url: str | None = None
    comment: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status == "submitted"


@frozen
class CommunityState:
    """`communities`: the config's communities, resolved, in its order; `members`: the communities
    the record's parent is in (`parent.communities`); `review`: the draft's review request, if
    any; `requests`: the inclusion requests of the published record."""

    communities: tuple[Community, ...] = ()
    members: tuple[Community, ...] = ()
    review: CommunityRequest | None = None
    requests: tuple[CommunityRequest, ...] = ()

    @property
    def member_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.members)

    def by_slug(self, slug: str) -> Community | None:
        return next((c for c in (*self.communities, *self.members) if c.slug == slug), None)

    def slug_of(self, community_id: str) -> str:
        found = next((c for c in (*self.communities, *self.members) if c.id == community_id), None)
        return found.slug if found else community_id


@frozen
class CommunityStatus:
    """One line of the report: a community, its request (if any), and what a person must do next."""

    slug: str
    status: str  # member, submitted, accepted, declined, expired, cancelled, created, pending, none
    request_id: str | None = None
    url: str | None = None
    comment: str | None = None
    next_step: str = ""
    community_id: str = ""

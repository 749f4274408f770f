"""Communities, review and inclusion requests, and secret access links, as InvenioRDM serves them.

Follows invenio-rdm-records (services/review/service.py, requests/community_submission.py,
requests/community_inclusion.py, services/communities/service.py, services/access/service.py) and
invenio-requests (customizations/actions.py: the state machine `created -> submitted -> accepted |
declined | cancelled | expired`); docs/communities.md lists the facts with their source paths.

- A community has a `review_policy` (closed, open, members; as on InvenioRDM, only curators or
  members may include directly, so an uploader's submission always waits for a curator here) and the
  emulator's flag `new_version_review`: the instance's RDM_NEW_RECORD_VERSION_REVIEW_POLICY requires a
  review for each new version of a record whose default community it is (Zenodo's default: never).
- The review of a first-version draft is dumped as `parent.review`; a new-version draft's review
  only through `GET /records/{id}/draft/review`. An open review blocks publish and discard.
- Accepting a submission publishes the draft and (first version) adds the community to the parent;
  accepting an inclusion adds it. Decline keeps the review on the draft, with the curator's comment
  in the request's timeline.
- Secret links live on the parent: `POST/GET /records/{id}/access/links`, `PATCH/DELETE .../{link_id}`.

The store's lock guards this state too; it is kept in memory only (not in `state.json`).
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from zsync.emulator.store import ApiError, Store, Version, not_found, now_iso, permission_denied
from zsync.emulator.validation import publish_errors

SUBMISSION = "community-submission"
INCLUSION = "community-inclusion"
_OPEN = {"submitted"}
_CLOSED = {"accepted", "declined", "cancelled", "expired"}
_TRANSITIONS = {
    "submit": ({"created"}, "submitted"),
    "accept": ({"submitted"}, "accepted"),
    "decline": ({"submitted"}, "declined"),
    "cancel": ({"submitted"}, "cancelled"),
    "expire": ({"submitted"}, "expired"),
}
_CREATOR_ACTIONS = {"created": ("submit",), "submitted": ("cancel",)}


@dataclass
class Community:
    id: str
    slug: str
    title: str
    review_policy: str = "closed"
    new_version_review: bool = False
    visibility: str = "public"
    created: str = field(default_factory=now_iso)


@dataclass
class Request:
    id: str
    number: int
    type: str
    status: str
    community_id: str
    record_id: str
    creator: str
    title: str = ""
    created: str = field(default_factory=now_iso)
    updated: str = field(default_factory=now_iso)
    revision_id: int = 1
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Link:
    id: str
    token: str
    permission: str
    created_at: str
    expires_at: str | None
    description: str = ""


class Communities:
    """The communities of one emulator, their requests, the parents' memberships and secret links."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.communities: dict[str, Community] = {}
        self.requests: dict[str, Request] = {}
        self.reviews: dict[str, str] = {}  # draft id -> request id (its review)
        self.memberships: dict[str, list[str]] = {}  # parent id -> community ids, the default first
        self.links: dict[str, list[Link]] = {}  # parent id -> secret links

    def reset(self) -> None:
        with self.store.lock:
            for table in (self.communities, self.requests, self.reviews, self.memberships, self.links):
                table.clear()

    # ------------------------------------------------------------------ communities

    def add_community(self, slug: str, title: str = "", **options: Any) -> Community:
        with self.store.lock:
            if any(c.slug == slug for c in self.communities.values()):
                raise ApiError(400, f"A community with the identifier {slug!r} already exists.")
            community = Community(str(uuid.uuid4()), slug, title or slug, **options)
            self.communities[community.id] = community
            return community

    def community(self, id_or_slug: str) -> Community:
        with self.store.lock:
            found = self.communities.get(id_or_slug)
            found = found or next((c for c in self.communities.values() if c.slug == id_or_slug), None)
            if found is None:
                raise ApiError(404, "The persistent identifier does not exist.")
            return found

    def community_document(self, community: Community) -> dict[str, Any]:
        api, html = self.store.api_base, self.store.html_base
        return {
            "id": community.id,
            "slug": community.slug,
            "created": community.created,
            "updated": community.created,
            "revision_id": 1,
            "metadata": {"title": community.title},
            "access": {
                "visibility": community.visibility,
                "member_policy": "open",
                "record_submission_policy": "open",
                "review_policy": community.review_policy,
            },
            "links": {
                "self": f"{api}/communities/{community.id}",
                "self_html": f"{html}/communities/{community.slug}",
                "records": f"{api}/communities/{community.id}/records",
            },
        }

    def parent_communities(self, parent_id: str) -> dict[str, Any]:
        """`parent.communities` as RDM dumps it: empty members removed (CommunitiesSchema)."""
        ids = self.memberships.get(parent_id, [])
        if not ids:
            return {}
        entries = [self.community_document(self.communities[cid]) for cid in ids]
        return {"ids": list(ids), "default": ids[0], "entries": entries}

    # ------------------------------------------------------------------ requests

    def request_document(self, request: Request) -> dict[str, Any]:
        api, html, rid = self.store.api_base, self.store.html_base, request.id
        actions = {
            name: f"{api}/requests/{rid}/actions/{name}" for name in _CREATOR_ACTIONS.get(request.status, ())
        }
        return {
            "id": rid,
            "created": request.created,
            "updated": request.updated,
            "revision_id": request.revision_id,
            "type": request.type,
            "title": request.title,
            "number": str(request.number),
            "status": request.status,
            "is_closed": request.status in _CLOSED,
            "is_open": request.status in _OPEN,
            "expires_at": None,
            "is_expired": request.status == "expired",
            "created_by": {"user": request.creator},
            "receiver": {"community": request.community_id},
            "topic": {"record": request.record_id},
            "links": {
                "self": f"{api}/requests/{rid}",
                "self_html": f"{html}/me/requests/{rid}",
                "comments": f"{api}/requests/{rid}/comments",
                "timeline": f"{api}/requests/{rid}/timeline",
                "actions": actions,
            },
        }

    def _new_request(self, kind: str, community: Community, record_id: str, creator: str) -> Request:
        request = Request(
            str(uuid.uuid4()), len(self.requests) + 1, kind, "created", community.id, record_id, creator
        )
        self.requests[request.id] = request
        return request

    def _event(
        self, request: Request, user: str, *, comment: str | None = None, log: str | None = None
    ) -> None:
        payload = {"content": comment, "format": "html"} if comment is not None else {"event": log}
        request.events.append(
            {
                "id": str(uuid.uuid4()),
                "type": "C" if comment is not None else "L",
                "payload": payload,
                "created_by": {"user": user},
                "created": now_iso(),
            }
        )

    def request(self, request_id: str) -> Request:
        request = self.requests.get(request_id)
        if request is None:
            raise ApiError(404, "The request does not exist.")
        return request

    def read_request(self, user: str | None, request_id: str) -> dict[str, Any]:
        with self.store.lock:
            request = self.request(request_id)
            if user != request.creator:
                raise permission_denied()
            return self.request_document(request)

    def timeline(self, user: str | None, request_id: str) -> dict[str, Any]:
        with self.store.lock:
            request = self.request(request_id)
            if user != request.creator:
                raise permission_denied()
            hits = copy.deepcopy(request.events)
            return {"hits": {"hits": hits, "total": len(hits)}, "links": {}}

    def act(
        self, user: str | None, request_id: str, action: str, comment: str | None = None
    ) -> dict[str, Any]:
        """Run a request action; `user` None is a curator (the admin routes)."""
        with self.store.lock:
            request = self.request(request_id)
            if user is not None and (user != request.creator or action not in ("submit", "cancel")):
                raise permission_denied()
            allowed, target = _TRANSITIONS.get(action, (set(), ""))
            if request.status not in allowed:
                raise ApiError(400, f"Cannot execute action: {action}")
            if action == "accept":
                self._accept(request)
            request.status = target
            request.updated = now_iso()
            request.revision_id += 1
            if comment:
                self._event(request, user or "curator", comment=comment)
            self._event(request, user or "curator", log=target)
            if action == "cancel" and request.type == SUBMISSION:
                self.reviews.pop(request.record_id, None)  # CancelAction unsets the review
            return self.request_document(request)

    def _accept(self, request: Request) -> None:
        if request.type == SUBMISSION:
            draft = self.store.drafts.get(request.record_id)
            if draft is None:
                raise ApiError(400, "The draft of this request no longer exists.")
            self.reviews.pop(draft.id, None)
            self.store.publish(None, draft.id, admin=True)
            if draft.version_index == 1:
                self._include(draft.parent_id, request.community_id)
        else:
            record = self.store.read_record(request.record_id)
            self._include(record.parent_id, request.community_id)

    def _include(self, parent_id: str, community_id: str) -> None:
        ids = self.memberships.setdefault(parent_id, [])
        if community_id not in ids:
            ids.append(community_id)

    def record_requests(self, user: str | None, record_id: str) -> dict[str, Any]:
        """`GET /records/{id}/requests`: the requests whose topic is this record."""
        with self.store.lock:
            if user is None:
                raise permission_denied()
            hits = [
                self.request_document(r)
                for r in self.requests.values()
                if r.record_id == record_id and r.creator == user and r.status != "deleted"
            ]
            return {"hits": {"hits": hits, "total": len(hits)}, "links": {}}

    # ------------------------------------------------------------------ reviews of drafts

    def _owned_draft(self, user: str | None, record_id: str) -> Version:
        return self.store._draft(user, record_id)

    def review(self, user: str | None, record_id: str) -> Request | None:
        with self.store.lock:
            self._owned_draft(user, record_id)
            request_id = self.reviews.get(record_id)
            return self.requests[request_id] if request_id else None

    def read_review(self, user: str | None, record_id: str) -> dict[str, Any]:
        request = self.review(user, record_id)
        if request is None:
            raise ApiError(404, "Review for draft not found")
        return self.request_document(request)

    def put_review(self, user: str | None, record_id: str, body: Any) -> dict[str, Any]:
        """`PUT /records/{id}/draft/review`: replace the review (ReviewService.update, then create)."""
        with self.store.lock:
            draft = self._owned_draft(user, record_id)
            if not isinstance(body, dict) or body.get("type") != SUBMISSION:
                raise ApiError(
                    400,
                    "A validation error occurred.",
                    errors=[{"field": "type", "messages": ["Invalid review type."]}],
                )
            receiver = body.get("receiver")
            community_id = receiver.get("community") if isinstance(receiver, dict) else None
            if not isinstance(community_id, str) or community_id not in self.communities:
                raise ApiError(
                    400,
                    "A validation error occurred.",
                    errors=[{"field": "receiver", "messages": ["Invalid receiver."]}],
                )
            self._create_review(draft, self.communities[community_id], allow_new_version=False)
            return self.request_document(self.requests[self.reviews[record_id]])

    def _create_review(self, draft: Version, community: Community, *, allow_new_version: bool) -> None:
        current = self.reviews.get(draft.id)
        if current is not None:
            if self.requests[current].status in _OPEN:
                raise ApiError(400, "An open review cannot be deleted.")
            if self.requests[current].status == "created":
                self.requests[current].status = "deleted"
            del self.reviews[draft.id]
        if draft.id in self.store.records:
            raise ApiError(400, "You cannot create a review for an already published record.")
        if draft.version_index > 1 and not allow_new_version:
            raise ApiError(400, "You cannot create a review for a new version of a published record.")
        request = self._new_request(SUBMISSION, community, draft.id, draft.owner)
        self.reviews[draft.id] = request.id

    def delete_review(self, user: str | None, record_id: str) -> None:
        with self.store.lock:
            request = self.review(user, record_id)
            if request is None:
                raise ApiError(404, "Review for draft not found")
            if request.status in _OPEN:
                raise ApiError(400, "An open review cannot be deleted.")
            if request.status == "created":
                request.status = "deleted"
            del self.reviews[record_id]

    def submit_review(self, user: str | None, record_id: str, body: Any) -> dict[str, Any]:
        """`POST /records/{id}/draft/actions/submit-review`: validate the draft as publish does, submit."""
        with self.store.lock:
            draft = self._owned_draft(user, record_id)
            request = self.review(user, record_id)
            if request is None:
                raise ApiError(404, "Review for draft not found")
            errors = publish_errors(draft.metadata, draft.access, self.store.utc_now())
            pending = [key for key, entry in draft.files.items() if entry.status != "completed"]
            if not draft.files or pending:
                errors.append({"field": "files.enabled", "messages": ["Missing uploaded files."]})
            if errors:
                raise ApiError(400, "A validation error occurred.", errors=errors)
            payload = body.get("payload") if isinstance(body, dict) else None
            comment = payload.get("content") if isinstance(payload, dict) else None
            request.title = str(draft.metadata.get("title", ""))
            return self.act(user, request.id, "submit", comment if isinstance(comment, str) else None)

    def on_new_version(self, draft: Version) -> None:
        """ReviewComponent.new_version: a review for the new draft when the policy asks for one."""
        with self.store.lock:
            ids = self.memberships.get(draft.parent_id, [])
            if ids and draft.id not in self.reviews and self.communities[ids[0]].new_version_review:
                self._create_review(draft, self.communities[ids[0]], allow_new_version=True)

    def check_publish(self, record_id: str) -> None:
        """ReviewComponent.publish: an open (not closed) review blocks publishing."""
        with self.store.lock:
            request_id = self.reviews.get(record_id)
            if request_id and self.requests[request_id].status not in _CLOSED:
                raise ApiError(
                    400,
                    "You cannot publish a draft with an open review request. Please cancel the review "
                    "request first.",
                )

    def check_discard(self, record_id: str) -> None:
        with self.store.lock:
            request_id = self.reviews.get(record_id)
            if request_id and self.requests[request_id].status in _OPEN:
                raise ApiError(
                    400, "You cannot delete a draft with an open review. Please cancel the review first."
                )

    def decorate(self, document: dict[str, Any], version: Version, *, draft: bool) -> dict[str, Any]:
        """Add `parent.communities`, and a first-version draft's `parent.review`, to a record's JSON."""
        with self.store.lock:
            parent = document.get("parent")
            if not isinstance(parent, dict):
                return document
            parent["communities"] = self.parent_communities(version.parent_id)
            request_id = self.reviews.get(version.id)
            if draft and version.version_index == 1 and request_id:
                parent["review"] = self.request_document(self.requests[request_id])
            links = document.setdefault("links", {})
            api = self.store.api_base
            links["communities"] = f"{api}/records/{version.id}/communities"
            links["access_links"] = f"{api}/records/{version.id}/access/links"
            # For records and drafts alike (services/config.py, links_item: vars_preview_html).
            links["preview_html"] = f"{self.store.html_base}/records/{version.id}?preview=1"
            if draft:
                links["review"] = f"{api}/records/{version.id}/draft/review"
                links["submit-review"] = f"{api}/records/{version.id}/draft/actions/submit-review"
            return document

    # ------------------------------------------------------------------ inclusion of published records

    def add_communities(self, user: str | None, record_id: str, body: Any) -> tuple[int, dict[str, Any]]:
        """`POST /records/{id}/communities`: an inclusion request per community
        (RecordCommunitiesService.add)."""
        with self.store.lock:
            record = self.store.read_record(record_id)
            if user is None or record.owner != user:
                raise permission_denied()
            wanted = body.get("communities") if isinstance(body, dict) else None
            if not isinstance(wanted, list) or not wanted:
                raise ApiError(
                    400,
                    "A validation error occurred.",
                    errors=[{"field": "communities", "messages": ["Shorter than minimum length 1."]}],
                )
            processed: list[dict[str, Any]] = []
            errors: list[dict[str, Any]] = []
            for entry in wanted:
                cid = entry.get("id") if isinstance(entry, dict) else None
                outcome = self._include_request(
                    user, record, str(cid), entry if isinstance(entry, dict) else {}
                )
                (errors if "message" in outcome else processed).append(outcome)
            answer: dict[str, Any] = {}
            if processed:
                answer["processed"] = processed
            if errors:
                answer["errors"] = errors
            return (200 if processed else 400), answer

    def _include_request(self, user: str, record: Version, cid: str, entry: dict[str, Any]) -> dict[str, Any]:
        try:
            community = self.community(cid)
        except ApiError:
            return {"community_id": cid, "message": "Community not found."}
        if community.id in self.memberships.get(record.parent_id, []):
            return {"community_id": cid, "message": "The record is already included in this community."}
        parent_records = set(self.store.parents[record.parent_id].versions)
        if any(
            r.type == INCLUSION
            and r.status in _OPEN
            and r.community_id == community.id
            and r.record_id in parent_records
            for r in self.requests.values()
        ):
            return {
                "community_id": cid,
                "message": "There is already an open inclusion request for this community.",
            }
        request = self._new_request(INCLUSION, community, record.id, user)
        request.title = str(record.metadata.get("title", ""))
        comment = (
            entry.get("comment", {}).get("payload", {}).get("content")
            if isinstance(entry.get("comment"), dict)
            else None
        )
        self.act(user, request.id, "submit", comment)
        return {"community_id": cid, "request_id": request.id, "request": self.request_document(request)}

    def remove_communities(self, user: str | None, record_id: str, body: Any) -> tuple[int, dict[str, Any]]:
        with self.store.lock:
            record = self.store.read_record(record_id)
            if user is None or record.owner != user:
                raise permission_denied()
            wanted = body.get("communities") if isinstance(body, dict) else None
            ids = self.memberships.setdefault(record.parent_id, [])
            processed, errors = 0, []
            for entry in wanted if isinstance(wanted, list) else []:
                cid = entry.get("id") if isinstance(entry, dict) else None
                found = next((c for c in ids if c == cid or self.communities[c].slug == cid), None)
                if found is None:
                    errors.append(
                        {"community": cid, "message": "The record does not belong to the community."}
                    )
                    continue
                ids.remove(found)
                processed += 1
            return (200 if processed else 400), ({"errors": errors} if errors else {})

    def record_communities(self, record_id: str) -> dict[str, Any]:
        with self.store.lock:
            record = self.store.read_record(record_id)
            hits = [
                self.community_document(self.communities[c])
                for c in self.memberships.get(record.parent_id, [])
            ]
            return {"hits": {"hits": hits, "total": len(hits)}, "links": {}}

    # ------------------------------------------------------------------ secret links

    def _parent_of(self, user: str | None, record_id: str) -> str:
        version = self.store.drafts.get(record_id) or self.store.records.get(record_id)
        if version is None:
            raise not_found()
        if user is None or version.owner != user:
            raise permission_denied()
        return version.parent_id

    def link_document(self, link: Link) -> dict[str, Any]:
        """As SecretLink dumps it (services/schemas/parent/access.py; the model's to_dict has no
        `origin`): `expires_at` a date (ISODateString), absent when the link never expires."""
        document = {
            "id": link.id,
            "created_at": link.created_at,
            "permission": link.permission,
            "description": link.description,
            "token": link.token,
        }
        if link.expires_at is not None:
            document["expires_at"] = link.expires_at[:10]
        return document

    def create_link(self, user: str | None, record_id: str, body: Any) -> dict[str, Any]:
        """`POST /records/{id}/access/links` (AccessService.create_secret_link's checks)."""
        with self.store.lock:
            parent_id = self._parent_of(user, record_id)
            body = body if isinstance(body, dict) else {}
            unknown = sorted(set(body) - {"permission", "expires_at", "description", "origin"})
            if unknown:  # a marshmallow Schema refuses unknown fields
                raise ApiError(
                    400,
                    "A validation error occurred.",
                    errors=[{"field": key, "messages": ["Unknown field."]} for key in unknown],
                )
            permission = body.get("permission")
            if permission is None:
                raise ApiError(
                    400,
                    "A validation error occurred.",
                    errors=[{"field": "permission", "messages": ["An access permission level is required"]}],
                )
            if permission not in ("view", "preview", "edit"):
                raise ApiError(
                    400,
                    "A validation error occurred.",
                    errors=[{"field": "permission", "messages": ["Must be one of: view, preview, edit."]}],
                )
            expires_at = body.get("expires_at")
            if expires_at is not None and not _is_date(expires_at):  # marshmallow's Date field
                raise ApiError(
                    400,
                    "A validation error occurred.",
                    errors=[{"field": "expires_at", "messages": ["Not a valid date."]}],
                )
            if expires_at is not None and _expired(str(expires_at)):
                raise ApiError(
                    400,
                    "A validation error occurred.",
                    errors=[
                        {"field": "expires_at", "messages": ["Expiration date must be set to the future"]}
                    ],
                )
            link = Link(
                str(uuid.uuid4()),
                secrets.token_urlsafe(32),
                permission,
                now_iso(),
                expires_at,
                str(body.get("description", "")),
            )
            self.links.setdefault(parent_id, []).append(link)
            return self.link_document(link)

    def list_links(self, user: str | None, record_id: str) -> dict[str, Any]:
        with self.store.lock:
            links = self.links.get(self._parent_of(user, record_id), [])
            hits = [self.link_document(link) for link in links]
            return {"hits": {"hits": hits, "total": len(hits)}}

    def delete_link(self, user: str | None, record_id: str, link_id: str) -> None:
        with self.store.lock:
            links = self.links.get(self._parent_of(user, record_id), [])
            if not any(link.id == link_id for link in links):
                raise ApiError(404, "No secret link found with the given ID.")
            links[:] = [link for link in links if link.id != link_id]

    def expire_link(self, link_id: str) -> dict[str, Any]:
        """Admin: the link's expiry passes (as if its date had come)."""
        with self.store.lock:
            for links in self.links.values():
                for link in links:
                    if link.id == link_id:
                        link.expires_at = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date().isoformat()
                        return self.link_document(link)
            raise ApiError(404, "No secret link found with the given ID.")

    def token_valid(self, record_id: str, token: str) -> bool:
        with self.store.lock:
            version = self.store.drafts.get(record_id) or self.store.records.get(record_id)
            if version is None:
                return False
            return any(
                link.token == token and not (link.expires_at and _expired(link.expires_at))
                for link in self.links.get(version.parent_id, [])
            )


def _is_date(value: Any) -> bool:
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return isinstance(value, str) and len(value) == 10


def _expired(expires_at: str) -> bool:
    try:
        when = dt.datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(
            400,
            "A validation error occurred.",
            errors=[{"field": "expires_at", "messages": ["Not a valid date."]}],
        ) from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when < dt.datetime.now(dt.UTC)

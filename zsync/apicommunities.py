"""The Zenodo client's communities concern: communities, the review of a draft, inclusion requests.

`CommunitiesMixin` is combined into `zsync.api.ZenodoClient`. The routes are InvenioRDM's
(invenio-rdm-records resources/config.py; invenio-requests resources/requests/config.py), listed with
their sources in docs/communities.md. Every answer becomes a value of `zsync.reviews`.

Retries: reads are sent again. `set_review` is a PUT (idempotent: it replaces a review that is not
open). `submit_review` and `include_in_community` are not idempotent, so after an ambiguous failure
(5xx, timeout, reset after sending) the request is re-read first, and a request already submitted is
taken as the result: a submit answered 504 after it took effect never makes a second request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from zsync import serverids
from zsync.errors import NotFoundError, RemoteError
from zsync.reviews import INCLUSION, Community, CommunityRequest
from zsync.transport import Reply, Request, Transport

T = TypeVar("T")


class CommunitiesMixin:
    """Communities and their requests (see the module docstring)."""

    _http: Transport

    def _send(
        self,
        request: Request,
        reconcile: Callable[[], T | None] | None = None,
        *,
        parse: Callable[[dict[str, Any]], T],
    ) -> T:
        return self._http.run(
            request.method, request.path, lambda: parse(_object(self._http.send(request), request)), reconcile
        )

    def get_community(self, slug: str) -> Community | None:
        """`GET /communities/{slug}`, or None when the instance has no such community."""
        try:
            return self._send(
                Request("GET", f"/communities/{_seg(slug)}"), parse=lambda d: _community(d, slug)
            )
        except NotFoundError:
            return None

    def get_review(self, record_id: str) -> CommunityRequest | None:
        """`GET /records/{id}/draft/review`: the draft's review request, or None (404: no review)."""
        try:
            return self._send(
                Request("GET", f"/records/{_seg(record_id)}/draft/review"), parse=community_request
            )
        except NotFoundError:
            return None

    def set_review(self, record_id: str, community_id: str) -> CommunityRequest:
        """`PUT /records/{id}/draft/review`: a `community-submission` request (status created) to the
        community. Replaces a review that is not open; refused (400) for an open one."""
        body = {"receiver": {"community": community_id}, "type": "community-submission"}
        request = Request("PUT", f"/records/{_seg(record_id)}/draft/review", json_body=body)
        return self._send(request, parse=community_request)

    def submit_review(self, record_id: str, message: str) -> CommunityRequest:
        """`POST /records/{id}/draft/actions/submit-review` with `message` as the submission's comment.

        InvenioRDM validates the draft as for publishing. After an ambiguous failure the review is
        re-read: submitted (or already decided) means the submit took effect, and it is returned.
        """

        def reconcile() -> CommunityRequest | None:
            review = self.get_review(record_id)
            return review if review is not None and review.status != "created" else None

        body = {"payload": {"content": message, "format": "html"}}
        request = Request("POST", f"/records/{_seg(record_id)}/draft/actions/submit-review", json_body=body)
        return self._send(request, reconcile, parse=community_request)

    def record_requests(self, record_id: str) -> tuple[CommunityRequest, ...]:
        """`GET /records/{id}/requests`: the requests whose topic is this published record."""
        request = Request("GET", f"/records/{_seg(record_id)}/requests", params={"size": "100"})
        return self._send(request, parse=_request_hits)

    def request_comment(self, request_id: str) -> str | None:
        """The last comment in a request's timeline (`GET /requests/{id}/timeline`): a curator's reason."""
        request = Request("GET", f"/requests/{_seg(request_id)}/timeline", params={"size": "100"})
        return self._send(request, parse=_last_comment)

    def include_in_community(self, record_id: str, community_id: str, message: str) -> CommunityRequest:
        """`POST /records/{id}/communities`: an inclusion request of the published record.

        InvenioRDM refuses a second open request for the same community; after an ambiguous failure
        the record's requests are re-read and one for this community is taken as the result.
        """

        def reconcile() -> CommunityRequest | None:
            mine = [r for r in self.record_requests(record_id) if r.type == INCLUSION]
            return next((r for r in mine if r.community_id == community_id), None)

        body = {
            "communities": [
                {"id": community_id, "comment": {"payload": {"content": message, "format": "html"}}}
            ]
        }
        request = Request("POST", f"/records/{_seg(record_id)}/communities", json_body=body)
        return self._send(request, reconcile, parse=lambda d: _processed(d, request))

    def remove_from_community(self, record_id: str, community_id: str) -> None:
        """`DELETE /records/{id}/communities` with the community: the record leaves it."""
        body = {"communities": [{"id": community_id}]}
        request = Request("DELETE", f"/records/{_seg(record_id)}/communities", json_body=body)
        self._send(request, parse=lambda _d: None)


# --------------------------------------------------------------------------- parsing


def _seg(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _object(reply: Reply, request: Request) -> dict[str, Any]:
    if reply.status == 204:
        return {}
    try:
        document = reply.json()
    except ValueError as exc:
        raise RemoteError(
            f"Zenodo answered {reply.status} without a JSON body.", method=request.method, path=request.path
        ) from exc
    if not isinstance(document, dict):
        raise RemoteError(
            "Zenodo answered with JSON that is not an object.", method=request.method, path=request.path
        )
    return document


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _community(document: Mapping[str, Any], slug: str) -> Community:
    metadata = document.get("metadata")
    links = document.get("links")
    title = _text(metadata.get("title")) if isinstance(metadata, Mapping) else None
    return Community(
        slug=serverids.opaque_id(_text(document.get("slug")) or slug, "a community slug"),
        id=serverids.opaque_id(document.get("id"), "a community id"),
        title=title or slug,
        html_url=serverids.url(links.get("self_html"), "a community address")
        if isinstance(links, Mapping)
        else None,
    )


def community_request(document: Mapping[str, Any]) -> CommunityRequest:
    """A request as invenio-requests serialises it (RequestSchema), e.g. a draft's `parent.review`."""
    receiver, topic, links = (document.get(k) for k in ("receiver", "topic", "links"))
    record = topic.get("record") if isinstance(topic, Mapping) else None
    return CommunityRequest(
        id=serverids.opaque_id(document.get("id"), "a request id"),
        type=str(document.get("type")),
        status=str(document.get("status")),
        community_id=serverids.opaque_id(receiver.get("community"), "a community id")
        if isinstance(receiver, Mapping)
        else "",
        record_id=serverids.record_id(record) if record is not None else None,
        html_url=serverids.url(links.get("self_html"), "a request address")
        if isinstance(links, Mapping)
        else None,
    )


def _request_hits(document: Mapping[str, Any]) -> tuple[CommunityRequest, ...]:
    hits = document.get("hits", {})
    items = hits.get("hits") if isinstance(hits, Mapping) else None
    return tuple(community_request(h) for h in items or () if isinstance(h, Mapping))


def _last_comment(document: Mapping[str, Any]) -> str | None:
    hits = document.get("hits", {})
    items = hits.get("hits") if isinstance(hits, Mapping) else None
    comments = [
        h["payload"].get("content")
        for h in items or ()
        if isinstance(h, Mapping) and h.get("type") == "C" and isinstance(h.get("payload"), Mapping)
    ]
    text = next((c for c in reversed(comments) if isinstance(c, str) and c.strip()), None)
    return re.sub(r"<[^>]+>", "", text).strip() if text else None


def _processed(document: Mapping[str, Any], request: Request) -> CommunityRequest:
    processed = document.get("processed")
    if isinstance(processed, list) and processed and isinstance(processed[0].get("request"), Mapping):
        return community_request(processed[0]["request"])
    errors = document.get("errors")
    message = errors[0].get("message") if isinstance(errors, list) and errors else None
    raise RemoteError(
        str(message or "Zenodo did not create the inclusion request."),
        method=request.method,
        path=request.path,
    )


def members_of(document: Mapping[str, Any]) -> tuple[Community, ...]:
    """The communities of a record's parent (`parent.communities`: `ids`, `entries` when expanded)."""
    parent = document.get("parent")
    found = parent.get("communities") if isinstance(parent, Mapping) else None
    if not isinstance(found, Mapping):
        return ()
    entries = {str(e.get("id")): e for e in found.get("entries") or () if isinstance(e, Mapping)}
    ids = [serverids.opaque_id(i, "a community id") for i in found.get("ids") or ()]
    return tuple(_community(entries[i], i) if i in entries else Community(i, i, i) for i in ids)


def review_of(document: Mapping[str, Any]) -> CommunityRequest | None:
    """A first-version draft's review, as the draft dumps it (`parent.review`)."""
    parent = document.get("parent")
    review = parent.get("review") if isinstance(parent, Mapping) else None
    return community_request(review) if isinstance(review, Mapping) else None

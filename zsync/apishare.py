"""The Zenodo client's share-link concern: the secret links of a record's parent.

`ShareLinksMixin` is combined into `zsync.api.ZenodoClient`. The routes are InvenioRDM's
(invenio-rdm-records resources/config.py, `RDMParentRecordLinksResourceConfig`: `/records/{id}/access
/links` and `.../links/{link_id}`); docs/communities.md lists what they take and answer.

Retries: reads and DELETE are sent again (a DELETE answered 404 after a retry is taken as done).
`create_share_link` is not idempotent: after an ambiguous failure the links are re-read and one of
zsync's with the permission and date asked for is taken as the result, so a create answered 504 after
it took effect never makes a second link. The tokens in the answers are never logged.
"""

from __future__ import annotations

from typing import Any

from zsync.apicommunities import _object, _seg
from zsync.errors import NotFoundError
from zsync.models import SHARE_DESCRIPTION, ShareLink
from zsync.shareplan import share_link
from zsync.transport import Request, Transport


class ShareLinksMixin:
    """Secret links of a record's parent (see the module docstring)."""

    _http: Transport

    def share_links(self, record_id: str) -> tuple[ShareLink, ...]:
        """`GET /records/{id}/access/links`: every secret link of the record's parent, expired or not."""
        request = Request("GET", f"/records/{_seg(record_id)}/access/links")
        return self._http.run(
            request.method, request.path, lambda: _links(_object(self._http.send(request), request))
        )

    def create_share_link(self, record_id: str, permission: str, expires_at: str) -> ShareLink:
        """`POST /records/{id}/access/links` with zsync's description; `expires_at` is YYYY-MM-DD."""

        def reconcile() -> ShareLink | None:
            made = [
                link
                for link in self.share_links(record_id)
                if link.owned()
                and link.permission == permission
                and link.expires_at is not None
                and link.expires_at.isoformat() == expires_at
            ]
            return made[-1] if made else None

        body = {"permission": permission, "expires_at": expires_at, "description": SHARE_DESCRIPTION}
        request = Request("POST", f"/records/{_seg(record_id)}/access/links", json_body=body)
        return self._http.run(
            request.method,
            request.path,
            lambda: share_link(_object(self._http.send(request), request)),
            reconcile,
        )

    def delete_share_link(self, record_id: str, link_id: str) -> None:
        """`DELETE /records/{id}/access/links/{link_id}`; a link already gone is fine."""
        request = Request("DELETE", f"/records/{_seg(record_id)}/access/links/{_seg(link_id)}")
        try:
            self._http.run(request.method, request.path, lambda: self._http.send(request))
        except NotFoundError:
            return


def _links(document: dict[str, Any]) -> tuple[ShareLink, ...]:
    hits = document.get("hits")
    items = hits.get("hits") if isinstance(hits, dict) else None
    return tuple(share_link(item) for item in items or () if isinstance(item, dict))

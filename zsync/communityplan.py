"""Communities in the plan: the review of a never-published draft, a new version's review, the
inclusion of a published record. Pure, like `zsync.planning`, whose plan it extends.

`with_communities(plan, config, state, options)` appends the community steps to a plan made by
`zsync.planning.compute_plan` and sets `plan.communities` (a `CommunityStatus` per community: the
request, its status and the next step a person must take). The rules (docs/communities.md has the
InvenioRDM facts behind them):

- A never-published draft is submitted to the first community only with `review: submit` (or
  `--submit-review`), and only as the last steps of a run, after every upload and the metadata: a
  draft still changing is never submitted. A submitted review is never submitted again; a declined
  or expired one is reported with the curator's comment and never resubmitted. A draft under an open
  review is still updated in place (InvenioRDM lets its owner edit it; the review stays open, and the
  curators accept the draft as it is then), with a warning. zsync never publishes a draft that has a
  review: the curators do, by accepting.
- A new version inherits the communities. When the instance's policy gives it a review (the review
  exists once the draft does), it is submitted the same way.
- A published record gets one inclusion request per listed community it is not in and has no request
  for; removal only with `communities_remove: true`.
"""

from __future__ import annotations

from typing import ClassVar

from zsync.frozen import frozen, replace
from zsync.models import Config
from zsync.planning import Plan, PlanOptions, Publish, RemoteState, Step
from zsync.reviews import REFUSED_STATUSES, Community, CommunityRequest, CommunityState, CommunityStatus

__all__ = ["RemoveCommunity", "RequestInclusion", "SetReview", "SubmitReview", "with_communities"]


@frozen
class SetReview(Step):
    """`PUT /records/{id}/draft/review`: the draft's review goes to this community (status created)."""

    community_id: str
    slug: str
    calls: ClassVar[tuple[str, ...]] = ("set_review",)

    def describe(self) -> str:
        return f"set the draft's review to community {self.slug}"


@frozen
class SubmitReview(Step):
    """Submit the draft for its review (`if_any`: only when the server gave the draft one, as a new
    version gets under a per-version review policy)."""

    slug: str
    if_any: bool = False
    calls: ClassVar[tuple[str, ...]] = ("submit_review",)

    def describe(self) -> str:
        if self.if_any:
            return f"submit the new version for review by {self.slug}, if the community requires one"
        return f"submit the draft for review by community {self.slug} (its curators publish it)"


@frozen
class RequestInclusion(Step):
    """`POST /records/{id}/communities`: ask the community to include the published record."""

    community_id: str
    slug: str
    calls: ClassVar[tuple[str, ...]] = ("include_in_community",)

    def describe(self) -> str:
        return f"request the inclusion of the record in community {self.slug}"


@frozen
class RemoveCommunity(Step):
    """`DELETE /records/{id}/communities`: the record leaves a community the config no longer lists."""

    community_id: str
    slug: str
    calls: ClassVar[tuple[str, ...]] = ("remove_from_community",)

    def describe(self) -> str:
        return f"remove the record from community {self.slug} (communities_remove: true)"


def with_communities(plan: Plan, config: Config, state: RemoteState, options: PlanOptions) -> Plan:
    """`plan` with the community steps appended and `communities` set; unchanged without communities."""
    found = state.communities
    if found is None or not found.communities:
        return plan
    submit = config.review == "submit" or options.submit_review
    draft = state.draft
    if state.record is None and (draft is None or (draft.version_index or 1) <= 1):
        extra, statuses, warnings, drop_publish = _first_version(plan, found, submit)
    elif state.record is None or plan.record_action == "new-version":
        extra, statuses, warnings, drop_publish = _new_version(plan, found, submit)
    else:
        extra, statuses, warnings, drop_publish = _published(config, found)
    kept = [s for s in plan.steps if not (drop_publish and isinstance(s, Publish))]
    if drop_publish and len(kept) < len(plan.steps):
        warnings.append("not publishing: a draft under review is published by the community's curators")
    # Before a publish (a new version's review must be submitted first), else last.
    at = next((i for i, s in enumerate(kept) if isinstance(s, Publish)), len(kept))
    steps = (*kept[:at], *extra, *kept[at:])
    status = plan.status
    if status == "unchanged" and any(s.calls for s in extra):
        status = "updated"
    return replace(
        plan,
        steps=steps,
        status=status,
        warnings=(*plan.warnings, *warnings),
        communities=tuple(statuses),
    )


_Parts = tuple[list[Step], list[CommunityStatus], list[str], bool]


def _first_version(plan: Plan, found: CommunityState, submit: bool) -> _Parts:
    first, *others = found.communities
    review = found.review
    steps: list[Step] = []
    warnings: list[str] = []
    later = [
        CommunityStatus(
            c.slug, "none", next_step="zsync requests its inclusion once it is published", community_id=c.id
        )
        for c in others
    ]
    if review is not None and review.status != "created":
        status = _review_status(first, review)
        if review.is_open:
            if review.community_id != first.id:
                warnings.append(
                    f"the draft is under review by community {found.slug_of(review.community_id)}, not "
                    f"{first.slug}; cancel that review on Zenodo to submit it to another"
                )
            if any(s.calls for s in plan.steps):
                warnings.append(
                    f"the draft is under review by {found.slug_of(review.community_id)}: it is updated in "
                    "place and the review stays open (the curators see the draft as it is now)"
                )
        elif review.status in REFUSED_STATUSES:
            warnings.append(_refused_text(found.slug_of(review.community_id), review))
        return steps, [status, *later], warnings, review.is_open
    if not submit:
        warnings.append(
            f"the draft can be submitted for review by community {first.slug} once it is complete: set "
            "`review: submit` (or --submit-review) to let zsync do it; its curators then publish it"
        )
        next_step = "set review: submit, or submit the draft on Zenodo"
        status = CommunityStatus(first.slug, "none", next_step=next_step, community_id=first.id)
        return steps, [status, *later], warnings, False
    if review is None or review.community_id != first.id:
        steps.append(SetReview(first.id, first.slug))
    steps.append(SubmitReview(first.slug))
    pending = CommunityStatus(
        first.slug,
        "pending",
        next_step=f"the curators of {first.slug} review the draft",
        community_id=first.id,
    )
    return steps, [pending, *later], warnings, True


def _new_version(plan: Plan, found: CommunityState, submit: bool) -> _Parts:
    statuses = [_member_status(c, found) for c in found.communities]
    review = found.review
    if review is None and plan.record_action != "new-version":
        return [], statuses, [], False  # the policy gave this version no review: it inherits
    slug = found.slug_of(review.community_id) if review else (found.members[0].slug if found.members else "")
    if review is not None and review.status != "created":
        warnings = [_refused_text(slug, review)] if review.status in REFUSED_STATUSES else []
        return [], [_review_status(found.by_slug(slug), review), *statuses], warnings, review.is_open
    if not submit:
        if review is None:
            return [], statuses, [], False
        warning = (
            f"community {slug} requires a review of each new version: set `review: submit` (or "
            "--submit-review), or submit the draft on Zenodo"
        )
        return [], statuses, [warning], False
    return [SubmitReview(slug, if_any=review is None)], statuses, [], review is not None


def _published(config: Config, found: CommunityState) -> _Parts:
    steps: list[Step] = []
    statuses: list[CommunityStatus] = []
    warnings: list[str] = []
    latest: dict[str, CommunityRequest] = {}
    for request in found.requests:
        latest[request.community_id] = request  # the hits are oldest first
    for community in found.communities:
        known = latest.get(community.id)
        if community.id in found.member_ids:
            statuses.append(_member_status(community, found))
        elif known is not None:
            statuses.append(_review_status(community, known))
            if known.status in REFUSED_STATUSES:
                warnings.append(_refused_text(community.slug, known))
        else:
            steps.append(RequestInclusion(community.id, community.slug))
            statuses.append(
                CommunityStatus(
                    community.slug,
                    "pending",
                    next_step=f"the curators of {community.slug} decide",
                    community_id=community.id,
                )
            )
    if config.communities_remove:
        wanted = {c.id for c in found.communities}
        steps += [RemoveCommunity(m.id, m.slug) for m in found.members if m.id not in wanted]
    return steps, statuses, warnings, False


def _member_status(community: Community, found: CommunityState) -> CommunityStatus:
    if community.id in found.member_ids:
        return CommunityStatus(community.slug, "member", url=community.html_url, community_id=community.id)
    return CommunityStatus(
        community.slug,
        "none",
        next_step="zsync requests its inclusion once it is published",
        community_id=community.id,
    )


def _review_status(community: Community | None, request: CommunityRequest) -> CommunityStatus:
    slug = community.slug if community else request.community_id
    next_steps = {
        "submitted": f"the curators of {slug} review it; nothing to do until they decide",
        "accepted": "",
        "declined": "read the curators' comment; change the record and resubmit it on Zenodo if they ask",
        "expired": "the request expired; resubmit it on Zenodo",
        "cancelled": "the request was cancelled; resubmit it on Zenodo",
        "created": "submit it",
    }
    return CommunityStatus(
        slug,
        request.status,
        request.id,
        request.html_url,
        request.comment,
        next_steps.get(request.status, ""),
        request.community_id,
    )


def _refused_text(slug: str, request: CommunityRequest) -> str:
    said = f": {request.comment!r}" if request.comment else ""
    return (
        f"community {slug} {request.status} request {request.id}{said}; zsync does not resubmit it "
        "(resubmit on Zenodo once the record is ready)"
    )

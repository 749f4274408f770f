"""A record's `access` as InvenioRDM checks, stores, serialises and lifts it (embargoes included).

Sources (inveniosoftware/invenio-rdm-records): `services/schemas/access.py` (AccessSchema,
EmbargoSchema.validate_embargo), `records/systemfields/access/embargo.py` (Embargo: `active` is the
stored flag, else "now < until"; dumped as {active, until: YYYY-MM-DD, reason}),
`records/systemfields/access/field/record.py` (RecordAccess.status; lift_embargo makes the record
and its files public), `services/services.py` (lift_embargo, scan_expired_embargos: active and
`until` up to today) and `services/tasks.py` (update_expired_embargos, which invenio-app-rdm's
CELERY_BEAT_SCHEDULE runs daily at 00:02 UTC). The time is the store's clock, which tests move.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

FUTURE = "Embargo end date must be set to a future date."
UNSET_OR_PAST = "Embargo end date must be unset or in the past."
LEVELS = ("public", "restricted")


class ErrorSink(Protocol):
    def add(self, path: str, message: str) -> None: ...


def _midnight(until: str) -> dt.datetime | None:
    """`until` as arrow reads a date: midnight UTC of that day (None when it is not a date)."""
    try:
        day = dt.date.fromisoformat(until[:10])
    except ValueError:
        return None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def check_access(value: Any, errors: ErrorSink, now: dt.datetime) -> dict[str, Any] | None:
    """The `access` a save keeps: record and files levels, the embargo as RecordAccess dumps it.
    `status` is dropped (RecordAccessField.pre_load); invalid parts are reported and, as a draft
    save keeps partial data, what parsed is kept."""
    if not isinstance(value, dict):
        errors.add("access", "Invalid input type.")
        return None
    kept = {key: item for key, item in value.items() if key in ("record", "files")}
    for key in value:
        if key not in ("record", "files", "embargo", "status"):
            errors.add(f"access.{key}", "Unknown field.")
    for name in ("record", "files"):
        if kept.get(name) not in LEVELS:
            errors.add(f"access.{name}", "Invalid value. Must be one of: public, restricted.")
            kept.pop(name, None)
    kept["embargo"] = _check_embargo(value.get("embargo"), errors, now)
    return kept


def _check_embargo(value: Any, errors: ErrorSink, now: dt.datetime) -> dict[str, Any]:
    if value is None:
        return no_embargo()
    if not isinstance(value, dict):
        errors.add("access.embargo", "Invalid input type.")
        return no_embargo()
    for key in value:
        if key not in ("active", "until", "reason"):
            errors.add(f"access.embargo.{key}", "Unknown field.")
    active, until, reason = value.get("active"), value.get("until"), value.get("reason")
    field_errors = 0
    if active is not None and not isinstance(active, bool):
        errors.add("access.embargo.active", "Not a valid boolean.")
        active, field_errors = None, field_errors + 1
    until_at = _midnight(until) if isinstance(until, str) else None
    if until is not None and until_at is None:
        errors.add("access.embargo.until", "Not a valid date.")
        until, field_errors = None, field_errors + 1
    if reason is not None and not isinstance(reason, str):
        errors.add("access.embargo.reason", "Not a valid string.")
        reason, field_errors = None, field_errors + 1
    # validate_embargo is a marshmallow schema validator: skipped after a field error.
    if field_errors:
        pass
    elif active and (until_at is None or until_at < now):
        errors.add("access.embargo.until", FUTURE)
    elif active is False and until_at is not None and until_at > now:
        errors.add("access.embargo.until", UNSET_OR_PAST)
    if not until and not reason and not active:
        return no_embargo()  # Embargo.from_dict: nothing set is no embargo
    if active is None:
        active = until_at is not None and now < until_at
    return {"active": active, "until": until[:10] if isinstance(until, str) else None, "reason": reason}


def no_embargo() -> dict[str, Any]:
    return {"active": False, "until": None, "reason": None}


def status(access: dict[str, Any], has_files: bool) -> str:
    """RecordAccess.status: embargoed, metadata-only, open or restricted."""
    if (access.get("embargo") or {}).get("active"):
        return "embargoed"
    if access.get("record") == "public" and not has_files:
        return "metadata-only"
    if access.get("record") == access.get("files") == "public":
        return "open"
    return "restricted"


def is_expired(access: dict[str, Any] | None, today: str) -> bool:
    """What scan_expired_embargos finds: `access.embargo.active:true AND until:[* TO today]`."""
    embargo = (access or {}).get("embargo") or {}
    until = embargo.get("until")
    return embargo.get("active") is True and isinstance(until, str) and until <= today


def lift(access: dict[str, Any], now: dt.datetime) -> bool:
    """RecordAccess.lift_embargo, in place: past its date, the embargo goes inactive and the record
    and files public. False (EmbargoNotLiftedError) when it was not active or its date is ahead."""
    embargo = access.get("embargo") or {}
    until_at = _midnight(embargo["until"]) if isinstance(embargo.get("until"), str) else None
    if until_at is None or now <= until_at or not embargo.get("active"):
        return False
    access["embargo"] = {**embargo, "active": False}
    access["record"] = access["files"] = "public"
    return True

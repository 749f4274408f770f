"""The shapes of the ids, DOIs and addresses in Zenodo's answers, checked before zsync uses them.

A record id from the server ends up in the id file, the Actions log, an output and a pushed commit;
a DOI and an address in the outputs and the job summary. Every such value read from an answer passes
one of these functions, which return it, or raise `RemoteError` (exit 1) quoting it escaped
(`zsync.safetext.quote`): a value of the wrong shape is never written, printed or committed.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any, Final, NoReturn

from zsync.errors import RemoteError
from zsync.identifiers import is_loopback_host
from zsync.lazyre import Lazy
from zsync.safetext import quote

__all__ = ["check_vocabulary_ids", "doi", "opaque_id", "record_id", "url"]

_RECORD_ID: Final = Lazy(r"[0-9]{1,20}")
_DOI: Final = Lazy(r"10\.[0-9]{4,9}/\S{1,300}")
_URL: Final = Lazy(r"[A-Za-z0-9\-._~:/?#\[\]@!$&*+,;=%]{1,2000}")
_VOCABULARY_ID: Final = Lazy(r"\S{1,300}")
_OPAQUE_ID: Final = Lazy(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")  # a UUID, a slug
_REFUSED_HINT: Final = (
    "zsync refuses a value of the wrong shape rather than write it to the record-id file, a log or a "
    "commit; is the endpoint Zenodo, and is no proxy between you and it rewriting its answers?"
)


def _refuse(what: str, value: Any, expected: str) -> NoReturn:
    raise RemoteError(f"Zenodo answered with {what} {quote(value)}: {expected}.", hint=_REFUSED_HINT)


def record_id(value: Any, what: str = "a record id") -> str:
    """A record id as the server gave it, refused unless it is digits; every id read from an answer
    passes through here."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _RECORD_ID.fullmatch(text):
        _refuse(what, value, "a record id is a number")
    return text


def doi(value: Any, what: str) -> str | None:
    """A DOI from an answer (`10.5281/zenodo.123`), refused when it has another shape."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _DOI.fullmatch(value) or not value.isprintable():
        _refuse(what, value, "a DOI looks like 10.5281/zenodo.1234, without spaces or control characters")
    return value


def url(value: Any, what: str) -> str | None:
    """A web address from an answer: https (http only on a loopback host, the emulator's)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and _URL.fullmatch(value):
        parts = urllib.parse.urlsplit(value)
        host = parts.hostname or ""
        if host and (parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(host))):
            return value
    _refuse(what, value, "expected an https address without spaces, quotes or control characters")


def check_vocabulary_ids(value: Any, where: str) -> None:
    """Every `id` in metadata or custom fields (licences, resource types, roles, languages, funders):
    one printable word, never a line break or control character."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "id" and isinstance(item, str):
                if not _VOCABULARY_ID.fullmatch(item) or not item.isprintable():
                    _refuse(f"a vocabulary id in {where}", item, "an id is one word, no control characters")
            else:
                check_vocabulary_ids(item, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            check_vocabulary_ids(item, where)


def opaque_id(value: Any, what: str) -> str:
    """An id the server makes up (a community's or a request's UUID, a slug): one plain word."""
    if not isinstance(value, str) or not _OPAQUE_ID.fullmatch(value):
        _refuse(what, value, "expected letters, digits, '-', '_', '.' or ':' only")
    return value

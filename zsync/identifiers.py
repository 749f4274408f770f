"""Syntax and checksum checks of persistent identifiers, done offline before Zenodo sees them.

Each `normalize_*` function returns the identifier in the form Zenodo stores (URL prefixes such as
`https://orcid.org/` or `https://doi.org/` removed, the way idutils normalises them server side)
or raises `InvalidIdentifier`, a `ValueError` whose message says what is wrong; the config loader
turns it into a `Problem`. Checksums: ORCID and ISNI use ISO 7064 MOD 11-2, ROR uses ISO 7064
MOD 97-10 over its Crockford base32 digits, ISBN/ISSN/EAN/UPC their usual weighted sums. Schemes
without a checksum get a syntax check as strict as the one Zenodo runs, and `other` only has to be
non-empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from zsync.lazyre import Lazy


class InvalidIdentifier(ValueError):
    """An identifier fails its syntax or checksum; `hint` shows what a valid one looks like."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def is_loopback_host(host: str) -> bool:
    """`localhost` or a loopback address (`127.0.0.1`, `::1`): where http is allowed (a test server)."""
    if host == "localhost":
        return True
    import ipaddress  # only for an http endpoint, which is rare

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --------------------------------------------------------------------------- checksums


def mod11_2_check_character(digits: str) -> str:
    """ISO 7064 MOD 11-2 check character of a digit string (ORCID, ISNI): "0".."9" or "X"."""
    total = 0
    for digit in digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def ror_checksum(prefix: str) -> int:
    """ISO 7064 MOD 97-10 checksum of the 7-character base32 part of a ROR id."""
    number = 0
    for char in prefix:
        number = number * 32 + _CROCKFORD.index(char)
    return 98 - (number * 100) % 97


def _weighted_ok(digits: str, weights: list[int], modulus: int) -> bool:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % modulus == 0


def _gtin_ok(digits: str) -> bool:
    """EAN-13, ISBN-13 and UPC-A (12 digits) share the GTIN check digit (weights 3,1 from the right)."""
    weights = [3 if i % 2 else 1 for i in range(len(digits) - 1, -1, -1)]
    return _weighted_ok(digits, weights, 10)


# --------------------------------------------------------------------------- people and organisations

_ORCID_PREFIXES = ("https://orcid.org/", "http://orcid.org/", "orcid.org/")
_ORCID_RE = Lazy(r"\d{4}-?\d{4}-?\d{4}-?\d{3}[\dX]")
# ORCID iDs are issued from these blocks of the ISNI space (the number before the check digit).
_ORCID_BLOCKS = ((15_000_000, 35_000_000), (900_000_000_000, 900_100_000_000))


def normalize_orcid(value: str) -> str:
    """`0000-0002-1825-0097` from that or `https://orcid.org/0000-0002-1825-0097`."""
    text = value.strip()
    for prefix in _ORCID_PREFIXES:
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
            break
    text = text.upper()
    example = "write it as 0000-0002-1825-0097"
    if not _ORCID_RE.fullmatch(text):
        raise InvalidIdentifier(f"{value!r} is not an ORCID iD (four groups of four digits)", example)
    compact = text.replace("-", "")
    if mod11_2_check_character(compact[:15]) != compact[15]:
        raise InvalidIdentifier(f"{value!r} fails the ORCID checksum", "copy the iD from your ORCID profile")
    if not any(lo <= int(compact[:15]) <= hi for lo, hi in _ORCID_BLOCKS):
        raise InvalidIdentifier(f"{value!r} is outside the ranges ORCID issues iDs from", "is it an ISNI?")
    return "-".join(compact[i : i + 4] for i in range(0, 16, 4))


def normalize_isni(value: str) -> str:
    """16 characters without spaces (`000000012281955X`) from `0000 0001 2281 955X` and the like."""
    text = value.strip()
    for prefix in ("https://isni.org/isni/", "http://isni.org/isni/", "isni.org/isni/"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
            break
    compact = re.sub(r"[\s-]", "", text).upper()
    if not re.fullmatch(r"\d{15}[\dX]", compact):
        raise InvalidIdentifier(
            f"{value!r} is not an ISNI (16 characters)", "write it as 0000 0001 2281 955X"
        )
    if mod11_2_check_character(compact[:15]) != compact[15]:
        raise InvalidIdentifier(f"{value!r} fails the ISNI checksum", "copy it from isni.org")
    return compact


_ROR_RE = Lazy(r"0[0-9a-hjkmnp-tv-z]{6}\d{2}")


def normalize_ror(value: str) -> str:
    """The 9-character ROR id (`00cv9y106`) from that or `https://ror.org/00cv9y106`."""
    text = value.strip()
    for prefix in ("https://ror.org/", "http://ror.org/", "ror.org/"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
            break
    text = text.lower()
    hint = "a ROR id is 9 characters such as 00cv9y106; look it up on https://ror.org/"
    if not _ROR_RE.fullmatch(text):
        raise InvalidIdentifier(f"{value!r} is not a ROR id", hint)
    if ror_checksum(text[:7]) != int(text[7:]):
        raise InvalidIdentifier(f"{value!r} fails the ROR checksum", hint)
    return text


# --------------------------------------------------------------------------- related identifiers

_DOI_RE = Lazy(r"(?:doi:\s*|(?:https?://)?(?:dx\.)?doi\.org/)?(10\.\d+(?:\.\d+)*/\S.*)", re.I)


def normalize_doi(value: str) -> str:
    """`10.1234/abc` from that, `doi:10.1234/abc` or `https://doi.org/10.1234/abc`."""
    match = _DOI_RE.fullmatch(value.strip())
    if not match:
        raise InvalidIdentifier(f"{value!r} is not a DOI", "a DOI looks like 10.5281/zenodo.1234567")
    return match.group(1)


def check_http_url(value: str) -> str:
    """An http(s) URL with a host, returned stripped; raises otherwise."""
    text = value.strip()
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise InvalidIdentifier(f"{value!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in text):
        raise InvalidIdentifier(
            f"{value!r} is not an http(s) URL with a host", "write it as https://example.org/page"
        )
    return text


_ARXIV_NEW = Lazy(r"(\d{4})\.(\d{4,5})(v\d+)?")
_ARXIV_OLD = Lazy(r"([a-z-]+)(\.[a-z]{2})?/(\d{7})(v\d+)?", re.I)


def normalize_arxiv(value: str) -> str:
    """`arXiv:2101.00001` (new style) or `arXiv:hep-th/9901001` (old style), as Zenodo stores them."""
    text = value.strip()
    for prefix in ("https://arxiv.org/abs/", "http://arxiv.org/abs/", "arxiv.org/abs/", "arxiv:"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
            break
    if _ARXIV_NEW.fullmatch(text) or _ARXIV_OLD.fullmatch(text):
        return f"arXiv:{text}"
    raise InvalidIdentifier(
        f"{value!r} is not an arXiv id", "new style arXiv:2101.00001 or old style arXiv:hep-th/9901001"
    )


def _isbn(value: str) -> str:
    compact = re.sub(r"[\s-]", "", value.strip()).upper()
    compact = compact.removeprefix("ISBN:").removeprefix("ISBN")
    if re.fullmatch(r"\d{9}[\dX]", compact):
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(compact))
        if total % 11 == 0:
            return value.strip()
    elif re.fullmatch(r"97[89]\d{10}", compact) and _gtin_ok(compact):
        return value.strip()
    raise InvalidIdentifier(
        f"{value!r} is not a valid ISBN-10 or ISBN-13 (format or check digit)", "e.g. 978-3-16-148410-0"
    )


def _issn(value: str) -> str:
    compact = re.sub(r"[\s-]", "", value.strip()).upper()
    if re.fullmatch(r"\d{7}[\dX]", compact):
        total = sum((8 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(compact))
        if total % 11 == 0:
            return f"{compact[:4]}-{compact[4:]}"
    raise InvalidIdentifier(f"{value!r} is not a valid ISSN (format or check digit)", "e.g. 0317-8471")


def _gtin(length: int, name: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        compact = value.strip()
        if len(compact) == length and compact.isascii() and compact.isdigit() and _gtin_ok(compact):
            return compact
        raise InvalidIdentifier(f"{value!r} is not a valid {name} ({length} digits with a check digit)")

    return check


def _istc(value: str) -> str:
    compact = re.sub(r"[\s-]", "", value.strip()).upper()
    if re.fullmatch(r"[0-9A-F]{16}", compact):
        weights = (11, 9, 3, 1)
        total = sum(int(c, 16) * weights[i % 4] for i, c in enumerate(compact[:15]))
        if f"{total % 16:X}" == compact[15]:
            return value.strip()
    raise InvalidIdentifier(f"{value!r} is not a valid ISTC (16 hexadecimal characters with a check digit)")


def _pattern(regex: str, name: str, example: str, flags: int = 0) -> Callable[[str], str]:
    compiled = Lazy(regex, flags)

    def check(value: str) -> str:
        text = value.strip()
        if compiled.fullmatch(text):
            return text
        raise InvalidIdentifier(f"{value!r} is not a valid {name}", f"e.g. {example}")

    return check


def _handle(value: str) -> str:
    match = re.fullmatch(
        r"(?:hdl:\s*|(?:https?://)?hdl\.handle\.net/)?([^/.\s]+(?:\.[^/.\s]+)*/\S.*)", value.strip()
    )
    if not match:
        raise InvalidIdentifier(f"{value!r} is not a Handle", "e.g. 20.1000/100")
    return match.group(1)


def _urn(value: str) -> str:
    text = value.strip()
    if re.fullmatch(r"urn:[a-z0-9][a-z0-9-]{0,31}:\S+", text, re.I):
        return text
    raise InvalidIdentifier(f"{value!r} is not a URN", "e.g. urn:nbn:de:101:1-201102033592")


def _purl(value: str) -> str:
    text = check_http_url(value)
    host = urlsplit(text).hostname or ""
    if host in ("purl.org", "purl.oclc.org", "purl.net", "purl.com", "purl.fdlp.gov") and urlsplit(text).path:
        return text
    raise InvalidIdentifier(f"{value!r} is not a PURL", "e.g. https://purl.org/dc/terms/")


def _w3id(value: str) -> str:
    text = check_http_url(value)
    if urlsplit(text).hostname == "w3id.org":
        return text
    raise InvalidIdentifier(f"{value!r} is not a w3id", "e.g. https://w3id.org/example")


def _pmid(value: str) -> str:
    match = re.fullmatch(r"(?:pmid:|https?://pubmed\.ncbi\.nlm\.nih\.gov/)?(\d+)/?", value.strip(), re.I)
    if not match:
        raise InvalidIdentifier(f"{value!r} is not a PubMed id", "e.g. 12345678")
    return match.group(1)


def _other(value: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidIdentifier("the identifier is empty")
    return text


def _isni(value: str) -> str:
    return normalize_isni(value)


_CHECKS: dict[str, Callable[[str], str]] = {
    "ark": _pattern(
        r"(?:https?://[^/\s]+/)?ark:/?[0-9bcdfghjkmnpqrstvwxz]+/\S+", "ARK", "ark:/13030/tf5p30086k"
    ),
    "arxiv": normalize_arxiv,
    "ads": _pattern(r"(?:ads:)?\d{4}[A-Za-z]\S{13}[A-Za-z.:]", "ADS bibcode", "2011ApJ...737..103S", re.I),
    "crossreffunderid": _pattern(r"(?:10\.13039/)?\d{6,}", "Crossref Funder ID", "10.13039/501100000780"),
    "cstr": _pattern(r"\d{5}\.\d{2}\.\S+", "CSTR", "31253.11.sciencedb.01234"),
    "doi": normalize_doi,
    "ean13": _gtin(13, "EAN-13"),
    "eissn": _issn,
    "grid": _pattern(r"grid\.\d+\.[0-9a-f]+", "GRID id", "grid.5342.0"),
    "handle": _handle,
    "igsn": _pattern(r"(?:igsn:)?[A-Za-z0-9]{5,}", "IGSN", "AU1101", re.I),
    "isbn": _isbn,
    "isni": _isni,
    "issn": _issn,
    "istc": _istc,
    "lissn": _issn,
    "lsid": _pattern(r"urn:lsid:[^:\s]+(?::[^:\s]+){2,3}", "LSID", "urn:lsid:ubio.org:namebank:11815", re.I),
    "pmid": _pmid,
    "purl": _purl,
    "rrid": _pattern(r"RRID:[A-Za-z]+_\S+", "RRID", "RRID:AB_2178887"),
    "upc": _gtin(12, "UPC"),
    "url": check_http_url,
    "urn": _urn,
    "w3id": _w3id,
    "wikidata": _pattern(r"(?:wikidata:)?Q\d+", "Wikidata QID", "Q42"),
    "other": _other,
}


def normalize_identifier(scheme: str, value: str) -> str:
    """Check `value` against `scheme` (one of `vocabulary.IDENTIFIER_SCHEMES`) and normalise it."""
    check = _CHECKS.get(scheme)
    if check is None:
        raise InvalidIdentifier(f"unknown identifier scheme {scheme!r}")
    return check(value)


def detect_scheme(value: str) -> str | None:
    """The scheme Zenodo gives an identifier written without one (stepup-reprep 4.x's award and
    meeting identifiers): a DOI, also as a doi.org URL, is `doi`; another http(s) URL is `url`.
    Zenodo's schema detects the scheme with idutils and takes the first it allows, which for these two
    is the same; for anything else zsync asks for the scheme instead of guessing."""
    text = value.strip()
    if _DOI_RE.fullmatch(text) and (text.lower().startswith(("10.", "doi:")) or "doi.org/" in text.lower()):
        return "doi"
    try:
        check_http_url(text)
    except InvalidIdentifier:
        return None
    return "url"

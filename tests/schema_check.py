"""Render draft documents for the real InvenioRDM schema check (../shared/tools/invenio-schema-check).

    python tests/schema_check.py OUT.jsonl

writes one rendered document per line: the example config (when `zsync.config` and
examples/zenodo.yaml exist) and hand-built configs that together use every field zsync renders
(organisations, ROR affiliations, funding by award id and by title/number, related identifiers of
many schemes, several licences, Markdown and HTML readmes). tests/test_invenio_schema.py runs the
checker on that file; the same configs serve tests/test_metadata.py.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from zsync.frozen import replace
from zsync.metadata import render_document
from zsync.models import (
    Access,
    Affiliation,
    Award,
    Config,
    Creator,
    Embargo,
    Funding,
    Metadata,
    RelatedIdentifier,
)

PUBLICATION_DATE = "2026-11-25"
REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = REPO_ROOT / "examples" / "zenodo.yaml"

README_MD = """\
# A dataset

Measurements of *things*, with **emphasis**, `code`, a [link](https://example.org/?a=1&b=2)
and “curly quotes”.

| column | unit | note |
|:-------|-----:|:----:|
| T      | K    | mean |

```python
print("hello")   # spaces kept
```

- one
- two

<div class="note">Raw <abbr title="HyperText Markup Language">HTML</abbr> passes.</div>
"""

README_HTML = "<p>An <b>HTML</b> readme &amp; nothing else.</p>\n<ul><li>item</li></ul>\n"


def _config(folder: Path, metadata: Metadata, **kwargs: Any) -> Config:
    files = kwargs.pop("paths", (folder / "data.csv", folder / "sub" / "figure.png"))
    return Config(
        source=folder / "zenodo.yaml",
        endpoint="https://sandbox.zenodo.org/api",
        path_record_id=folder / ".zenodo-record-id.txt",
        metadata=metadata,
        paths=tuple(files),
        **kwargs,
    )


def full_config(folder: Path) -> Config:
    """Every field zsync renders, with values Zenodo accepts."""
    readme = folder / "zenodo.md"
    readme.write_text(README_MD, encoding="utf-8")
    creators = (
        Creator(
            kind="personal",
            family_name="Doe",
            given_name="Jane",
            identifiers=(("orcid", "0000-0002-1825-0097"),),
            affiliations=(Affiliation(ror="01ggx4157"), Affiliation(name="Some Lab, Some University")),
        ),
        Creator(
            kind="personal",
            family_name="Müller-Øster",
            given_name="José",
            name="Müller-Øster, José",
            identifiers=(("orcid", "0000-0001-5109-3700"), ("isni", "0000000121032683")),
        ),
        Creator(
            kind="organizational",
            name="ACME Consortium",
            identifiers=(("ror", "00cv9y106"),),
            affiliations=(Affiliation(ror="00cv9y106"),),
        ),
        Creator(kind="organizational", name="Data Collective", identifiers=(("isni", "0000000121032683"),)),
    )
    related = (
        RelatedIdentifier("doi", "10.1234/zenodo.1234567", "cites", "publication-article"),
        RelatedIdentifier("url", "https://github.com/example/repo", "issupplementto", "software"),
        RelatedIdentifier("arxiv", "arXiv:2101.00001", "isdocumentedby", "publication-preprint"),
        RelatedIdentifier("isbn", "978-3-16-148410-0", "isreferencedby", "publication-book"),
        RelatedIdentifier("handle", "20.500.12345/678", "references"),
        RelatedIdentifier("urn", "urn:nbn:de:101:1-201102033592", "isderivedfrom", "dataset"),
        RelatedIdentifier("pmid", "12345678", "iscitedby", "publication"),
        RelatedIdentifier("ark", "ark:/13030/tf5p30086k", "isversionof", "dataset"),
        RelatedIdentifier("purl", "http://purl.org/dc/terms/", "requires", "other"),
        RelatedIdentifier("issn", "0317-8471", "ispublishedin", "publication-journal"),
    )
    funding = (
        Funding(funder_ror="00k4n6c32", award=Award(id="00k4n6c32::101001234")),
        Funding(
            funder_ror="00k4n6c32",
            award=Award(
                title="Full title of the award",
                number="ABC-123",
                identifiers=(("url", "https://example.org/award/1234"), ("doi", "10.3030/101001234")),
            ),
        ),
        Funding(funder_name="A Private Foundation", award=Award(number="F-42")),
        Funding(funder_name="Another Foundation"),
    )
    metadata = Metadata(
        title="A fully described dataset",
        version="1.2.0",
        creators=creators,
        resource_type="dataset",
        licenses=("CC-BY-4.0", "mit", "cc0-1.0"),
        keywords=("keyword one", "Schlüsselwort", "CO₂"),
        publisher="Zenodo",
        copyright="© 2026 Jane Doe & ACME",
        related=related,
        funding=funding,
    )
    return _config(
        folder,
        metadata,
        code_repository="https://github.com/example/repo",
        path_readme=readme,
        access=Access(record="public", files="restricted"),
    )


def minimal_config(folder: Path) -> Config:
    """Only what the spec requires: no readme, licence, keywords, publisher, related or funding."""
    metadata = Metadata(
        title="Min",
        version="0.1.0",
        creators=(Creator(kind="personal", family_name="Solo"),),
        resource_type="other",
    )
    return _config(folder, metadata, paths=(folder / "only.txt",))


def html_readme_config(folder: Path) -> Config:
    """An HTML readme, a creator written as 'Family, Given', one organisation, software type."""
    readme = folder / "README.html"
    readme.write_text(README_HTML, encoding="utf-8")
    metadata = Metadata(
        title="Software with an HTML readme",
        version="2.0.0-rc.1",
        creators=(
            Creator(kind="personal", name="Curie, Marie", affiliations=(Affiliation(name="Sorbonne"),)),
            Creator(kind="organizational", name="The Lab", affiliations=(Affiliation(ror="01ggx4157"),)),
        ),
        resource_type="software-computationalnotebook",
        licenses=("apache-2.0",),
        keywords=("notebook",),
        related=(RelatedIdentifier("doi", "https://doi.org/10.5281/zenodo.1", "isnewversionof"),),
    )
    return _config(folder, metadata, path_readme=readme, code_repository="https://gitlab.com/x/y")


PARTIAL_AWARDS_YAML = """\
endpoint: https://sandbox.zenodo.org/api
metadata:
  title: Funded by awards without an id
  version: '1.0.0'
  resource_type: dataset
  creators: [{name: 'Doe, Jane'}]
  funding:
    - {funder: {name: Acme}, award: {number: '42'}}
    - {funder: {ror: 00k4n6c32}, award: {title: Garden ponds}}
paths: [only.txt]
"""


def partial_awards_config(folder: Path) -> Config:
    """Awards with only a number, or only a title, as zenodo.yaml writes them (issue #10 item 3):
    parsed by zsync.config, so a loader that refused them fails the schema test."""
    from zsync.config import parse_config

    return parse_config(PARTIAL_AWARDS_YAML, source=folder / "zenodo.yaml", check_files=False)


TODAY = dt.datetime.now(dt.UTC).date()


def embargo_config(folder: Path, until: dt.date) -> Config:
    """Restricted files under an embargo until `until`: active while the date is ahead, sent as
    lifted once it has come (zsync.metadata.render_access)."""
    return replace(
        minimal_config(folder),
        access=Access(files="restricted", embargo=Embargo(until.isoformat(), "Under review at a journal")),
    )


def sample_configs(folder: Path) -> dict[str, Config]:
    """The hand-built configs, by name. `folder` receives their readme files."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "full": full_config(folder),
        "minimal": minimal_config(folder),
        "html-readme": html_readme_config(folder),
        "partial-awards": partial_awards_config(folder),
        "embargoed": embargo_config(folder, TODAY + dt.timedelta(days=210)),
        "embargo-lifted": embargo_config(folder, TODAY - dt.timedelta(days=30)),
    }


def example_config() -> Config | None:
    """examples/zenodo.yaml loaded by zsync.config, once both exist (files need not exist)."""
    if not EXAMPLE_CONFIG.is_file():
        return None
    try:
        from zsync.config import load_config
    except ImportError:
        return None
    return load_config(EXAMPLE_CONFIG, check_files=False)


def documents(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    """(name, rendered document) for every config, each with a publication date."""
    configs = sample_configs(folder)
    example = example_config()
    if example is not None:
        configs["example"] = example
    today = TODAY.isoformat()  # the real schema judges an embargo's date by the real clock
    return [
        (name, render_document(c, publication_date=PUBLICATION_DATE, today=today))
        for name, c in configs.items()
    ]


def write_jsonl(out: Path, folder: Path) -> list[str]:
    """Write the documents to `out` (JSON Lines); returns their names in line order."""
    docs = documents(folder)
    with out.open("w", encoding="utf-8") as stream:
        for _, doc in docs:
            stream.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return [name for name, _ in docs]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    names = write_jsonl(out, out.parent / (out.stem + "-files"))
    print(f"{len(names)} documents written to {out}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The real schema check with Zenodo's custom fields: run with the checker's own interpreter.

    $INVENIO_SCHEMA_VENV/bin/python tests/zenodo_schema_check.py FILE...

../shared/tools/invenio_schema_check.py configures only the CodeMeta custom fields, so a document
with journal:journal, meeting:meeting, imprint:imprint, thesis:thesis or Zenodo's domain fields
(dc:rightsHolder, dwc:*, ...) would get "Unknown field." there although Zenodo accepts it. This script
runs that same checker with the custom fields Zenodo deploys (zenodo/zenodo-rdm
site/zenodo_rdm/custom_fields/__init__.py: CODEMETA, JOURNAL, MEETING, IMPRINT and THESIS from
invenio-rdm-records, plus the domain fields of domain_fields.py, typed from zsync's package data
zsync/vocab/domain_custom_fields.json), and also checks the vocabulary ids the shared checker does not
know (languages, roles, date types, programming languages, development statuses) against zsync's
package data. Prints and exits as the shared checker does.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED_CHECKER = HERE.parent.parent / "shared" / "tools" / "invenio_schema_check.py"
VOCAB = HERE.parent / "zsync" / "vocab"


def _load_shared():
    spec = importlib.util.spec_from_file_location("invenio_schema_check", SHARED_CHECKER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _domain_fields():
    from invenio_records_resources.services.custom_fields import (
        BaseCF,
        DoubleCF,
        EDTFDateStringCF,
        IntegerCF,
        ISODateStringCF,
        KeywordCF,
        TextCF,
    )
    from marshmallow import fields
    from marshmallow_utils.fields import SanitizedUnicode

    class RelationshipListCF(BaseCF):  # the shape of zenodo-rdm's field of that name
        @property
        def mapping(self):
            return {"type": "nested"}

        @property
        def field(self):
            return fields.List(
                fields.Nested(
                    {
                        "subject": fields.List(SanitizedUnicode(required=True)),
                        "object": fields.List(SanitizedUnicode(required=True)),
                    }
                )
            )

    kinds = {
        "keyword": KeywordCF,
        "text": TextCF,
        "number": DoubleCF,
        "integer": IntegerCF,
        "iso-date": ISODateStringCF,
        "edtf-date": EDTFDateStringCF,
    }
    table = json.loads((VOCAB / "domain_custom_fields.json").read_text())
    return [
        RelationshipListCF(name=name) if kind == "relationships" else kinds[kind](name=name, multiple=True)
        for name, kind in table.items()
    ]


def zenodo_app(base_make_app):
    def make_app():
        from invenio_rdm_records.contrib.codemeta import CODEMETA_CUSTOM_FIELDS, CODEMETA_NAMESPACE
        from invenio_rdm_records.contrib.imprint import IMPRINT_CUSTOM_FIELDS, IMPRINT_NAMESPACE
        from invenio_rdm_records.contrib.journal import JOURNAL_CUSTOM_FIELDS, JOURNAL_NAMESPACE
        from invenio_rdm_records.contrib.meeting import MEETING_CUSTOM_FIELDS, MEETING_NAMESPACE
        from invenio_rdm_records.contrib.thesis import THESIS_CUSTOM_FIELDS, THESIS_NAMESPACE

        app = base_make_app()
        app.config["RDM_CUSTOM_FIELDS"] = [
            *_domain_fields(),
            *CODEMETA_CUSTOM_FIELDS,
            *JOURNAL_CUSTOM_FIELDS,
            *MEETING_CUSTOM_FIELDS,
            *IMPRINT_CUSTOM_FIELDS,
            *THESIS_CUSTOM_FIELDS,
        ]
        namespaces = {
            "dwc": "",
            "gbif-dwc": "",
            "gbif": "",
            "mixs": "",
            "ac": "",
            "openbiodiv": "",
            "obo": "",
        }
        app.config["RDM_NAMESPACES"] = {
            **namespaces,
            "dc": "http://purl.org/dc/terms/",
            **CODEMETA_NAMESPACE,
            **JOURNAL_NAMESPACE,
            **MEETING_NAMESPACE,
            **IMPRINT_NAMESPACE,
            **THESIS_NAMESPACE,
        }
        return app

    return make_app


def _ids(name: str) -> set[str]:
    return set(json.loads((VOCAB / name).read_text()))


def extra_vocabulary_errors(doc: dict) -> list[dict]:
    md, custom = doc.get("metadata") or {}, doc.get("custom_fields") or {}
    checks = [
        (f"metadata.languages.{i}.id", (x or {}).get("id"), "languages.json")
        for i, x in enumerate(md.get("languages") or [])
    ]
    checks += [
        (
            f"metadata.contributors.{i}.role.id",
            ((x or {}).get("role") or {}).get("id"),
            "contributor_roles.json",
        )
        for i, x in enumerate(md.get("contributors") or [])
    ]
    checks += [
        (f"metadata.dates.{i}.type.id", ((x or {}).get("type") or {}).get("id"), "date_types.json")
        for i, x in enumerate(md.get("dates") or [])
    ]
    checks += [
        (f"custom_fields.code:programmingLanguage.{i}.id", (x or {}).get("id"), "programming_languages.json")
        for i, x in enumerate(custom.get("code:programmingLanguage") or [])
    ]
    if "code:developmentStatus" in custom:
        status = (custom["code:developmentStatus"] or {}).get("id")
        checks.append(("custom_fields.code:developmentStatus.id", status, "development_statuses.json"))
    for i, entry in enumerate(md.get("additional_descriptions") or []):
        kind = ((entry or {}).get("type") or {}).get("id")
        known = {
            "abstract",
            "methods",
            "series-information",
            "table-of-contents",
            "technical-info",
            "notes",
            "other",
        }
        if kind not in known:  # Zenodo's own list (zenodo-rdm app_data/vocabularies/description_types.yaml)
            checks.append((f"metadata.additional_descriptions.{i}.type.id", kind, ""))
    errors = []
    for field, value, vocabulary in checks:
        if not vocabulary or value not in _ids(vocabulary):
            errors.append({"field": field, "messages": [f"Invalid value {value}."]})
    return errors


def main(argv: list[str]) -> int:
    shared = _load_shared()
    shared.make_app = zenodo_app(shared.make_app)
    base_check = shared.Checker.check

    def check(self, doc):
        return base_check(self, doc) + (extra_vocabulary_errors(doc) if isinstance(doc, dict) else [])

    shared.Checker.check = check
    return int(shared.main(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

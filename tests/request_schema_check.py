"""zsync's request payloads against InvenioRDM's own schemas: run with the checker's interpreter.

    $INVENIO_SCHEMA_VENV/bin/python tests/request_schema_check.py FILE.jsonl

Each line is `{"route": "POST /records/{id}/access/links", "body": {...}}`, a body zsync sent (the
emulator logged it). Each route's body is loaded with the marshmallow schema InvenioRDM's service
loads it with (invenio-rdm-records 36.0.0, as ../shared/tools/invenio-schema-check installs it):

- `POST /records/{id}/access/links`: `SecretLink` (services/schemas/parent/access.py), as
  `AccessService.create_secret_link` loads it (services/access/service.py).
- `POST` and `DELETE /records/{id}/communities`: `RecordCommunitiesSchema`
  (services/schemas/record_communities.py), as `RecordCommunitiesService.add` / `remove` load it.
- `POST /records/{id}/draft/actions/submit-review`: the request action's `payload`, a comment event's
  payload (invenio-requests customizations/event_types.py, `CommentEventType.payload_schema`), as
  `RequestsService.execute_action` stores it.
- `PUT /records/{id}/draft/review`: `ReviewService.create` pops `type` (a registered request type) and
  `receiver` (`{"community": id}`); invenio-rdm-records services/review/service.py.

Prints `route: field: message` per problem and `N payloads checked, M invalid`; exit 1 if any.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SHARED_CHECKER = HERE.parent.parent / "shared" / "tools" / "invenio_schema_check.py"


def _app() -> Any:
    spec = importlib.util.spec_from_file_location("invenio_schema_check", SHARED_CHECKER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.make_app()
    from invenio_requests import InvenioRequests

    InvenioRequests(app)  # the comment schema is built from its registry of event types
    return app


def _load(schema: Any, body: Any, **context: Any) -> list[str]:
    from marshmallow import ValidationError
    from marshmallow_utils.context import context_schema

    context_schema.set(context)  # as the service's schema wrapper sets it
    try:
        schema().load(body)
    except ValidationError as exc:
        return [f"{field}: {messages}" for field, messages in exc.normalized_messages().items()]
    return []


def check(route: str, body: Any) -> list[str]:
    from invenio_rdm_records.services.schemas.parent.access import SecretLink
    from invenio_rdm_records.services.schemas.record_communities import RecordCommunitiesSchema
    from invenio_requests.customizations import CommentEventType
    from marshmallow import Schema, fields

    if route == "POST /records/{id}/access/links":
        return _load(SecretLink, body)
    if route in ("POST /records/{id}/communities", "DELETE /records/{id}/communities"):
        return _load(RecordCommunitiesSchema, body, max_number=10)
    if route == "POST /records/{id}/draft/actions/submit-review":
        payload = Schema.from_dict(CommentEventType.payload_schema())
        return _load(Schema.from_dict({"payload": fields.Nested(payload)}), body)
    if route == "PUT /records/{id}/draft/review":
        problems = [] if set(body) == {"type", "receiver"} else [f"_schema: keys {sorted(body)}"]
        if body.get("type") != "community-submission":
            problems.append(f"type: {body.get('type')!r} is not community-submission")
        receiver = body.get("receiver")
        if not (isinstance(receiver, dict) and set(receiver) == {"community"}):
            problems.append(f"receiver: {receiver!r} is not {{'community': id}}")
        return problems
    return [f"_route: no schema known for {route}"]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    app, checked, invalid = _app(), 0, 0
    with app.app_context():
        for line in Path(argv[0]).read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            problems = check(item["route"], item["body"])
            checked += 1
            invalid += bool(problems)
            for problem in problems:
                print(f"{item['route']}: {problem}")
    print(f"{checked} payloads checked, {invalid} invalid")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

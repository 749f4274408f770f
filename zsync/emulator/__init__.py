"""A local, stateful emulator of Zenodo's InvenioRDM REST API, for tests and offline trials.

It follows the contract in invenio-rdm-api.md trap by trap, so a client that is wrong for Zenodo is
wrong here too: legacy JSON without the vnd Accept type, 415 on a charset in Content-Type, 403 (not
401) for a missing or query-string token, PUT replacing metadata, "Please remove all files first.",
locked buckets on edit drafts, broken uploads deleting the entry, eventually consistent
/user/records, rate-limit headers. It imports nothing from zsync but the version string, so it cannot
share the client's mistakes.

    from zsync.emulator import Emulator, Faults, RateLimit
    with Emulator(tokens=("test-token",)) as emu:        # data_dir=None: a temp dir, removed on stop
        emu.url                                         # "http://127.0.0.1:PORT/api"
        emu.faults = Faults(p_503=0.2, seed=1)           # reproducible failures, logged as `fault`
        emu.rate_limit = RateLimit(limit=100, window_s=60, enforce=True)
        emu.publish(record_id); emu.delete_record(record_id)
        emu.set_clock("2027-07-01T00:05:00+00:00"); emu.lift_embargoes()   # Zenodo's daily task
        emu.request_log, emu.mutating_requests(), emu.records, emu.drafts, emu.draft_files(record_id)

Admin HTTP routes (no token; never faulted, rate-limited or logged), for subprocess and container use:
    POST /api/_emulator/records/{id}/publish | delete | external-doi
    GET|PUT /api/_emulator/faults, /api/_emulator/rate-limit, /api/_emulator/index {"delay_s": S}
    GET|DELETE /api/_emulator/log; GET /api/_emulator/state; POST /api/_emulator/reset
    POST /api/_emulator/communities {"slug", "title", "review_policy", "new_version_review"}
    POST /api/_emulator/requests/{id}/accept | decline | expire {"comment": ...}; GET .../requests
    POST /api/_emulator/links/{id}/expire; GET /api/_emulator/links
    GET|PUT /api/_emulator/clock {"now": "2027-07-01T00:05:00+00:00"} (the calendar embargoes follow)
    POST /api/_emulator/tasks/update_expired_embargos (lift the embargoes whose date has come)

Command line: `python -m zsync.emulator [--port N] [--data DIR] [--token T ...]`, also `zsync emulator`;
the default token is "emulator-token". Vocabularies (licences, resource and relation types, and
affiliations.json, funders.json, awards.json when present) come from the directory in
ZSYNC_EMULATOR_VOCAB when set; otherwise any plausibly shaped id is accepted. The same lists answer
GET /api/vocabularies/{type}/{id} and /api/affiliations|funders|awards/{id} (404 when unknown).
"""

from __future__ import annotations

from zsync.emulator.cli import DEFAULT_TOKEN, main
from zsync.emulator.server import Emulator, Faults, LoggedRequest, RateLimit
from zsync.emulator.store import StoredFile

__all__ = ["DEFAULT_TOKEN", "Emulator", "Faults", "LoggedRequest", "RateLimit", "StoredFile", "main"]

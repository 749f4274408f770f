"""Hostile servers and hostile inputs (issue #11): each test reproduces one attack or fault.

The attacks go through `tests/hostile_proxy.py` (a lying reverse proxy in front of the emulator)
and the real client or the real `zsync` command. Tests are named after the issue's items:
test_item<N>_*. The test_proxy_* tests check the fixture itself.
"""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import pytest
import requests
from hostile_proxy import DELETE, HostileProxy, Rule
from test_entrypoint import ID_FILE, Workspace, git
from test_entrypoint import workspace as example_workspace  # noqa: F401 (the `workspace` fixture)
from test_sync_e2e import Dataset, make_dataset, run_zsync, sync

from zsync import safetext
from zsync.api import RetryPolicy, ZenodoClient
from zsync.emulator import Emulator
from zsync.errors import BadRequestError, RemoteError

TOKEN = "test-token"
FAST = RetryPolicy(max_attempts=2, initial_wait_s=0.01, max_wait_s=0.01, jitter_s=0.0)
AUTH = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}

# --------------------------------------------------------------------------- the fixture itself


def test_proxy_forwards_and_rewrites(hostile_proxy: HostileProxy, emulator: Emulator) -> None:
    plain = requests.get(hostile_proxy.url + "/user/records", headers=AUTH, timeout=10)
    assert plain.status_code == 200 and "hits" in plain.json()
    hostile_proxy.add(
        Rule(
            "GET",
            r"/user/records",
            status=418,
            json={"hits.total": 99, "aggregations": DELETE},
            headers={"X-Evil": "yes"},
            times=1,
        )
    )
    lied = requests.get(hostile_proxy.url + "/user/records", headers=AUTH, timeout=10)
    assert lied.status_code == 418 and lied.json()["hits"]["total"] == 99
    assert "aggregations" not in lied.json() and lied.headers["X-Evil"] == "yes"
    again = requests.get(hostile_proxy.url + "/user/records", headers=AUTH, timeout=10)
    assert again.status_code == 200  # times=1
    assert [r.rule for r in hostile_proxy.requests] == [None, 0, None]
    assert len(emulator.request_log) == 3


def test_proxy_redirects_to_a_foreign_origin(
    hostile_proxy: HostileProxy, foreign_origin: HostileProxy
) -> None:
    foreign_origin.add(Rule("*", r".*", forward=False, status=201, json={"id": "captured"}))
    hostile_proxy.add(Rule("POST", r"/records", redirect=(307, foreign_origin.url + "/records")))
    answer = requests.post(hostile_proxy.url + "/records", json={"a": 1}, headers=AUTH, timeout=10)
    assert answer.json() == {"id": "captured"}
    seen = foreign_origin.requests[0]
    assert seen.method == "POST" and seen.body == b'{"a": 1}'
    assert "authorization" not in seen.headers  # requests drops it across origins


def test_proxy_stalls_drips_and_resets(hostile_proxy: HostileProxy, emulator: Emulator) -> None:
    hostile_proxy.add(Rule("GET", r"/user/records", stall_s=0.5, times=1))
    started = time.monotonic()
    requests.get(hostile_proxy.url + "/user/records", headers=AUTH, timeout=10)
    assert time.monotonic() - started >= 0.5
    hostile_proxy.add(Rule("GET", r"/user/records", drip=(1, 0.2), body=b"abcd", times=1))
    started = time.monotonic()
    slow = requests.get(hostile_proxy.url + "/user/records", timeout=10)
    assert slow.content == b"abcd" and time.monotonic() - started >= 0.6  # 1 byte per 0.2 s
    hostile_proxy.add(Rule("POST", r"/records", reset=True, times=1))
    with pytest.raises(requests.ConnectionError):
        requests.post(hostile_proxy.url + "/records", json={"metadata": {}}, headers=AUTH, timeout=10)
    assert emulator.request_log[-1].method == "POST"  # it reached the emulator; its answer was lost


# --------------------------------------------------------------------------- helpers


def _dataset(tmp_path: Path, proxy: HostileProxy) -> Dataset:
    return make_dataset(tmp_path / "dataset", proxy.url, n_files=1)


def _commands(text: str) -> list[str]:
    """The lines the runner would take for workflow commands (after leading white space)."""
    return [line.lstrip() for line in text.splitlines() if line.lstrip().startswith(("::", "##["))]


def _command_names(text: str) -> list[str]:
    """The names of the workflow commands in a log, groups left out (`add-mask`, `error`, ...)."""
    names = [re.split("[ :]", line.removeprefix("::"))[0] for line in _commands(text)]
    return [name for name in names if name not in ("group", "endgroup")]


@pytest.fixture
def action(request: pytest.FixtureRequest, hostile_proxy: HostileProxy) -> Workspace:
    """test_entrypoint's example workspace (a git repository with a remote), its endpoint the proxy."""
    ws: Workspace = request.getfixturevalue("example_workspace")
    config = ws.root / "zenodo.yaml"
    lines = [
        f"endpoint: {hostile_proxy.url}" if line.startswith("endpoint:") else line
        for line in config.read_text().splitlines()
    ]
    config.write_text("\n".join(lines) + "\n")
    git(ws.root, "commit", "-q", "-am", "through the proxy")
    git(ws.root, "push", "-q", "origin", "main")
    return ws


INJECTED_ID = "7\n::error title=INJECTED::pwned\n::set-output name=record-id::999"


# --------------------------------------------------------------------------- item 1: server ids


def test_item1_injected_record_id_is_refused_before_it_is_written(
    tmp_path: Path, hostile_proxy: HostileProxy
) -> None:
    ds = _dataset(tmp_path, hostile_proxy)
    hostile_proxy.add(Rule("POST", r"/records", json={"id": INJECTED_ID}, times=1))

    proc = sync(ds, expect=1)

    output = proc.stdout + proc.stderr
    assert _commands(output) == []
    assert "'7\\n::error title=INJECTED::pwned\\n::set-output name=record-id::999'" in proc.stderr
    assert not ds.id_file.exists()
    # The draft Zenodo did make is adopted by the next run (found by its title), never a second one.
    hostile_proxy.clear()
    sync(ds)
    assert ds.record_id().isdigit()


def test_item1_injected_record_id_never_reaches_the_log_outputs_or_a_commit(
    action: Workspace, hostile_proxy: HostileProxy
) -> None:
    hostile_proxy.add(Rule("POST", r"/records", json={"id": INJECTED_ID}, times=1))

    run = action.run(token=TOKEN, in_process=False)

    assert run.code == 1, run.log
    assert _command_names(run.log) == ["add-mask", "error"], run.log
    assert run.outputs == {"status": "failed"}
    assert not (action.root / ID_FILE).exists()
    assert git(action.remote, "log", "-1", "--format=%s", "main") == "through the proxy"


def test_item1_cross_origin_redirect_answer_is_refused(
    hostile_proxy: HostileProxy, foreign_origin: HostileProxy
) -> None:
    foreign_origin.add(Rule("*", r".*", forward=False, status=201, json={"id": "captured"}))
    hostile_proxy.add(Rule("POST", r"/records", redirect=(302, foreign_origin.url + "/records")))

    client = ZenodoClient(hostile_proxy.url, TOKEN, retry=FAST)
    # Since item 8 the redirect itself is refused, before the foreign host is asked anything; the
    # id check ('captured' is no record id) stays the second line of defence.
    with client, pytest.raises(RemoteError, match=r"'captured'|redirect to another host") as caught:
        client.create_draft({"metadata": {"title": "A title"}})
    assert caught.value.exit_code == 1
    assert foreign_origin.requests == []


def test_item1_record_id_read_from_the_location_of_versions_latest_is_refused(
    hostile_proxy: HostileProxy, emulator: Emulator
) -> None:
    location = hostile_proxy.url + "/records/7%0A::error::x"  # same origin as the endpoint
    hostile_proxy.add(Rule("GET", r"/records/\d+/versions/latest", redirect=(301, location)))

    client = ZenodoClient(hostile_proxy.url, TOKEN, retry=FAST)
    with client, pytest.raises(RemoteError, match=re.escape("'7\\n::error::x'")):
        client.latest_version_id("1")


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("parent.id", "1 ; rm -rf", "a concept id"),
        ("pids.doi.identifier", "10.5072/zenodo.1\n::error::x", "a DOI"),
        ("pids.doi.identifier", "doi:evil", "a DOI"),
        ("parent.pids.doi.identifier", "10.5072/a b", "a concept DOI"),
        ("links.self_html", "javascript:alert(1)", "a record address"),
        ("links.self_html", "http://evil.example/records/1", "a record address"),
        (
            "links.self_html",
            "https://zenodo.org/records/1)![x](https://evil.example/x.png",
            "a record address",
        ),
        ("metadata.resource_type", {"id": "dataset\x1b[2J"}, "a vocabulary id in metadata.resource_type"),
        ("metadata.rights", [{"id": "cc-by-4.0\n::error::x"}], "a vocabulary id in metadata.rights"),
    ],
)
def test_item1_dois_addresses_and_vocabulary_ids_of_the_wrong_shape_are_refused(
    hostile_proxy: HostileProxy, field: str, value: object, named: str
) -> None:
    with ZenodoClient(hostile_proxy.url, TOKEN, retry=FAST) as client:
        draft = client.create_draft({"metadata": {"title": "A title"}})
        assert draft.html_url and draft.html_url.startswith("http://127.0.0.1:")  # the emulator's
        hostile_proxy.add(Rule("GET", r"/records/\d+/draft", json={field: value}))
        with pytest.raises(RemoteError, match=f"^Zenodo answered with {re.escape(named)} ") as caught:
            client.get_draft(draft.id)
    assert "\n" not in caught.value.message and "\x1b" not in caught.value.message
    assert caught.value.path == f"/records/{draft.id}/draft"


# --------------------------------------------------------------------------- item 2: escaping

STOP_COMMANDS = "\n::warning::All good\n::stop-commands::zz"


def test_item2_server_message_cannot_switch_off_the_error_annotation(
    action: Workspace, hostile_proxy: HostileProxy
) -> None:
    hostile_proxy.add(
        Rule("POST", r"/records", forward=False, status=400, json={"status": 400, "message": STOP_COMMANDS})
    )

    run = action.run(token=TOKEN, in_process=False)

    assert run.code == 1, run.log
    assert _command_names(run.log) == ["add-mask", "error"], run.log
    assert "%0A::warning::All good%0A::stop-commands::zz" in _commands(run.log)[-1]
    assert "\\::stop-commands::zz" in run.log  # shown, escaped


def test_item2_ansi_escapes_from_the_server_do_not_reach_the_terminal(
    tmp_path: Path, hostile_proxy: HostileProxy
) -> None:
    ds = _dataset(tmp_path, hostile_proxy)
    message = "\x1b[1A\x1b[32mstatus: unchanged\r\u202eevil"
    hostile_proxy.add(Rule("POST", r"/records", forward=False, status=400, json={"message": message}))

    proc = sync(ds, expect=1)

    assert "\x1b" not in proc.stderr + proc.stdout and "\r" not in proc.stderr
    assert "\\x1b[1A\\x1b[32mstatus: unchanged\\x0d\\u202eevil" in proc.stderr


def test_item2_file_names_with_control_characters_are_refused_offline(tmp_path: Path) -> None:
    ds = make_dataset(tmp_path / "dataset", "https://sandbox.zenodo.org/api", n_files=1)
    ds.write_file("evil\n::error::x.txt", b"data\n")
    ds.write_file("bell\a.txt", b"data\n")

    proc = run_zsync("validate", str(ds.config_path))

    assert proc.returncode == 2, proc.stdout + proc.stderr
    problems = proc.stderr.splitlines()
    assert len(problems) == 2 and _commands(proc.stderr) == []
    assert problems[0].endswith(
        "paths[1]: 'data/evil\\n::error::x.txt' contains a line break (character 10) "
        "(write this value on one line)"
    )
    assert problems[0].startswith(f"{ds.config_path}:")
    assert "paths[2]: 'data/bell\\x07.txt' contains a control character (\\x07, character 10)" in problems[1]


def test_item2_a_glob_matching_a_file_name_with_control_characters_is_refused(tmp_path: Path) -> None:
    ds = make_dataset(tmp_path / "dataset", "https://sandbox.zenodo.org/api", n_files=1)
    (ds.root / "more").mkdir()
    (ds.root / "more" / "ok.txt").write_text("ok\n")
    (ds.root / "more" / "evil\n::error::x.txt").write_text("evil\n")
    ds.write_config({**ds.config(), "paths": [*ds.config()["paths"], "more/*.txt"]})

    proc = run_zsync("validate", str(ds.config_path))

    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert _commands(proc.stderr) == [] and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "paths[1]: 'evil\\n::error::x.txt' contains a line break (character 5)" in proc.stderr


@pytest.mark.parametrize(
    ("dotted", "value", "message"),
    [
        ("metadata.title", "A title\x1b[2J", "contains a control character (\\x1b, character 8)"),
        ("metadata.title", "A title\nsecond line", "contains a line break (character 8)"),
        ("metadata.keywords", ["ok", "tab\there"], "contains a tab (character 4)"),
        ("metadata.publisher", "Zen\u200bodo", "contains a control character (\\u200b, character 4)"),
        ("metadata.copyright", "(c) me\x00", "contains a control character (\\x00, character 7)"),
    ],
)
def test_item2_control_characters_in_metadata_are_refused_offline(
    tmp_path: Path, dotted: str, value: object, message: str
) -> None:
    ds = make_dataset(tmp_path / "dataset", "https://sandbox.zenodo.org/api", n_files=1)
    ds.set(dotted, value)
    proc = run_zsync("validate", str(ds.config_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and len(proc.stderr.splitlines()) == 1, proc.stderr


def test_item2_line_breaks_stay_allowed_where_text_has_lines(tmp_path: Path) -> None:
    ds = make_dataset(tmp_path / "dataset", "https://sandbox.zenodo.org/api", n_files=1)
    ds.write_config({k: v for k, v in ds.config().items() if k != "path_readme"})
    ds.set("metadata.description", "<p>one</p>\n<p>two\tcolumns</p>")
    ds.set("metadata.notes", "First line.\nSecond line.")
    proc = run_zsync("validate", str(ds.config_path))
    assert proc.returncode == 0, proc.stderr


def test_item2_inputs_are_printed_escaped(action: Workspace) -> None:
    config = "missing\n::error title=INJECTED::x.yaml"
    run = action.run(config=config, in_process=False)
    assert run.code == 2, run.log
    assert _command_names(run.log) == ["error"], run.log

    run = action.run(working_directory="\x1b[2Jsub\n::warning::x", in_process=False)
    assert run.code == 2, run.log
    assert "\x1b" not in run.log and "\\x1b[2Jsub" in run.log
    assert _command_names(run.log) == ["error"], run.log


def test_item2_the_escaping_stream_lets_only_commands_through() -> None:
    raw = io.StringIO()
    stream = safetext.wrap(raw)
    print(":", ":warning::x", sep="", file=stream)  # a marker split over two writes
    print("  ", end="", file=stream, flush=True)
    print("##[set-output name=a;]b", file=stream)
    safetext.command(stream, "::error::real")
    print("tail\x9b2J", end="", file=stream)
    safetext.command(stream, "::endgroup::")
    stream.close()
    assert raw.getvalue() == (
        "\\::warning::x\n\\  ##[set-output name=a;]b\n::error::real\ntail\\u009b2J\n::endgroup::\n"
    )


# --------------------------------------------------------------------------- item 3: token echoes


def _echoing(status: int) -> Rule:
    return Rule(
        "POST",
        r"/records",
        forward=False,
        status=status,
        json={
            "status": status,
            "message": "A validation error occurred.",
            "errors": [
                {"field": "metadata.title", "messages": [f"bad value; your token is {TOKEN}"]},
                {"field": f"metadata.{TOKEN}", "messages": f"token again: Bearer {TOKEN}"},
            ],
        },
    )


@pytest.mark.parametrize("status", [400, 422])
def test_item3_token_in_per_field_errors_never_reaches_the_cli(
    tmp_path: Path, hostile_proxy: HostileProxy, status: int
) -> None:
    ds = _dataset(tmp_path, hostile_proxy)
    hostile_proxy.add(_echoing(status))
    proc = sync(ds, "-v", expect=1)
    assert TOKEN not in proc.stdout + proc.stderr
    assert "metadata.title: bad value; your token is ***" in proc.stderr


def test_item3_token_in_per_field_errors_never_reaches_the_action_log(
    action: Workspace, hostile_proxy: HostileProxy
) -> None:
    hostile_proxy.add(_echoing(400))
    run = action.run(token=TOKEN, verbose="true", in_process=False)
    assert run.code == 1, run.log
    assert run.log.count(TOKEN) == 1 and run.log.startswith(f"::add-mask::{TOKEN}\n"), run.log
    assert TOKEN not in run.summary and "your token is ***" in run.log

    # A 200 draft save whose errors echo the token: a warning, not a failure, so no last-minute scrub.
    hostile_proxy.clear()
    assert action.run(token=TOKEN, in_process=False).code == 0
    config = action.root / "zenodo.yaml"
    config.write_text(config.read_text().replace("spring 2026'", "spring 2026, revised'"))
    echo = [{"field": "metadata.title", "messages": [f"saved, but {TOKEN} is odd"]}]
    hostile_proxy.add(Rule("PUT", r"/records/\d+/draft", json={"errors": echo}))
    run = action.run(token=TOKEN, in_process=False)
    assert run.code == 0, run.log
    assert run.log.count(TOKEN) == 1 and "Zenodo says metadata.title: saved, but *** is odd" in run.log


def test_item3_token_in_exceptions_and_models_is_scrubbed(hostile_proxy: HostileProxy) -> None:
    with ZenodoClient(hostile_proxy.url, TOKEN, retry=FAST) as client:
        draft = client.create_draft({"metadata": {"title": "A title"}})
        hostile_proxy.add(_echoing(400))
        with pytest.raises(BadRequestError) as caught:
            client.create_draft({"metadata": {"title": "A title"}})
        error = caught.value
        assert TOKEN not in f"{error} {error!r} {error.diagnostics()} {error.field_errors!r} {error.args!r}"
        # A 200 draft save whose errors echo the token (Zenodo saves partial data and says why).
        hostile_proxy.clear()
        echo = [{"field": "metadata.creators", "messages": [f"{TOKEN} is not a creator"]}]
        hostile_proxy.add(Rule("PUT", r"/records/\d+/draft", json={"errors": echo, "metadata.note": TOKEN}))
        saved = client.update_draft(draft.id, {"metadata": {"title": "Another title"}})
    assert saved.errors and TOKEN not in repr(saved.errors) and TOKEN not in json.dumps(saved.document)
    assert str(saved.errors[0]) == "metadata.creators: *** is not a creator"


def test_item3_token_in_a_saved_drafts_errors_never_reaches_the_cli(
    tmp_path: Path, hostile_proxy: HostileProxy
) -> None:
    ds = _dataset(tmp_path, hostile_proxy)
    sync(ds)
    ds.set("metadata.title", "A changed title")
    echo = [{"field": "metadata.title", "messages": [f"saved, but {TOKEN} is odd"]}]
    hostile_proxy.add(Rule("PUT", r"/records/\d+/draft", json={"errors": echo}))
    proc = sync(ds)
    assert TOKEN not in proc.stdout + proc.stderr
    assert "Zenodo says metadata.title: saved, but *** is odd" in proc.stderr


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("id", "c0ffee\n::error::x", "a community id"),
        ("slug", "ecology\x1b[2J", "a community slug"),
        ("links.self_html", "http://evil.example/communities/ecology", "a community address"),
    ],
)
def test_item1_community_ids_and_addresses_of_the_wrong_shape_are_refused(
    hostile_proxy: HostileProxy, emulator: Emulator, field: str, value: str, named: str
) -> None:
    emulator.add_community("ecology")
    with ZenodoClient(hostile_proxy.url, TOKEN, retry=FAST) as client:
        assert client.get_community("ecology") is not None
        hostile_proxy.add(Rule("GET", r"/communities/ecology", json={field: value}))
        with pytest.raises(RemoteError, match=f"^Zenodo answered with {re.escape(named)} "):
            client.get_community("ecology")

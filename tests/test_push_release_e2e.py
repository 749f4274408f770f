"""The two shipped sync workflows in one repository (issue #10 item 7), end to end: the real `zsync`
subprocess against the emulator, each run as the workflow runs it.

- push (examples/workflows/sync-on-push.yml): `zsync sync zenodo.yaml`, no version given;
- release (sync-on-release.yml): `zsync sync zenodo.yaml --set-version <tag>`, publish "false";
- a person pressing Publish on Zenodo: the emulator's admin publish.

zenodo.yaml stays at 1.0.0 throughout, as in a repository whose versions come from its tags. In
every order, no run fails because of the other workflow, and each run leaves what the README says.
"""

from __future__ import annotations

import subprocess
from typing import Any

from test_sync_e2e import Dataset, api, ds, mutations, outputs_of, sync  # noqa: F401 (the fixture)

from zsync.emulator import Emulator


def push(ds: Dataset, expect: int = 0) -> subprocess.CompletedProcess[str]:  # noqa: F811
    return sync(ds, "--json", expect=expect)


def release(ds: Dataset, tag: str, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:  # noqa: F811
    return sync(ds, "--set-version", tag, "--json", *args, expect=expect)


def record_of(emulator: Emulator, ds: Dataset) -> dict[str, Any]:  # noqa: F811
    """The record the id file names, as Zenodo shows it: its draft when it has one."""
    answer = api(emulator, "GET", f"/records/{ds.record_id()}/draft")
    if answer.status_code == 200 and not answer.json().get("is_published"):
        return dict(answer.json())
    return dict(api(emulator, "GET", f"/records/{ds.record_id()}").json())


def test_before_the_first_publication_push_and_release_take_turns_on_one_draft(
    ds: Dataset,  # noqa: F811 (the fixture)
    emulator: Emulator,
) -> None:
    assert outputs_of(push(ds))["status"] == "created"
    draft_id = ds.record_id()
    assert outputs_of(release(ds, "v1.1.0"))["status"] == "updated"
    assert record_of(emulator, ds)["metadata"]["version"] == "1.1.0"

    # The push syncs a changed file into the release's draft and keeps its version.
    ds.write_file("file01.csv", b"column\nchanged on main\n")
    emulator.clear_log()
    out = outputs_of(push(ds))
    assert (out["status"], out["record-id"]) == ("updated", draft_id)
    assert "PUT /records/{id}/draft/files/{key}/content" in mutations(emulator)
    assert record_of(emulator, ds)["metadata"]["version"] == "1.1.0"
    emulator.clear_log()
    proc = push(ds)
    assert outputs_of(proc)["status"] == "unchanged" and mutations(emulator) == []
    assert f"draft {draft_id} keeps its version 1.1.0: metadata.version 1.0.0 is not above it" in proc.stderr

    # Someone presses Publish; later pushes (nothing changed, then a changed file) succeed, change nothing.
    emulator.publish(draft_id)
    emulator.clear_log()
    proc = push(ds)
    assert outputs_of(proc)["status"] == "unchanged" and mutations(emulator) == []
    assert "metadata.version 1.0.0 is below version 1.1.0, published as record" in proc.stderr
    ds.write_file("file02.csv", b"column\nchanged after the release\n")
    emulator.clear_log()
    proc = push(ds)
    assert outputs_of(proc)["status"] == "unchanged" and mutations(emulator) == []
    assert "left as they are, though the local file02.csv differ: the next release brings" in proc.stderr
    assert outputs_of(proc)["files-unchanged"] == "2"  # of 3: file02.csv waits for the release

    # The next release carries that change into a new version.
    out = outputs_of(release(ds, "v1.2.0"))
    assert (out["status"], out["files-uploaded"]) == ("new-version", "1")
    assert record_of(emulator, ds)["metadata"]["version"] == "1.2.0"


def test_after_publication_releases_pushes_and_publishing_never_fail_each_other(
    ds: Dataset,  # noqa: F811 (the fixture)
    emulator: Emulator,
) -> None:
    sync(ds, "--publish")  # 1.0.0 is published
    assert outputs_of(release(ds, "v1.1.0"))["status"] == "new-version"
    release_draft = ds.record_id()
    for _ in range(2):  # push, push: into the release's draft, its version kept
        emulator.clear_log()
        assert outputs_of(push(ds))["status"] == "unchanged" and mutations(emulator) == []
    assert record_of(emulator, ds)["metadata"]["version"] == "1.1.0"
    assert outputs_of(release(ds, "v1.1.0"))["status"] == "unchanged"  # the release re-run
    emulator.publish(release_draft)
    assert outputs_of(push(ds))["status"] == "unchanged"

    # A tag that writes the published version otherwise does not rewrite its label.
    emulator.clear_log()
    proc = release(ds, "v1.1", expect=1)
    assert "zsync does not rewrite a published version label; nothing was changed" in proc.stderr
    assert mutations(emulator) == []
    assert record_of(emulator, ds)["metadata"]["version"] == "1.1.0"


def test_a_published_pre_release_warns_first_and_a_raised_zenodo_yaml_opens_the_next_version(
    ds: Dataset,  # noqa: F811 (the fixture)
    emulator: Emulator,
) -> None:
    sync(ds, "--publish")  # 1.0.0 is published
    # A pre-release published at once is warned about before its DOI is minted; pushes go on.
    proc = release(ds, "v1.2.0-rc1", "--publish")
    assert "version 1.2.0-rc1 is a pre-release, and publishing mints a permanent DOI" in proc.stderr
    assert outputs_of(proc)["state"] == "published"
    emulator.clear_log()
    assert outputs_of(push(ds))["status"] == "unchanged" and mutations(emulator) == []

    # Raising zenodo.yaml above the released versions makes the push open the next version itself.
    ds.set("metadata.version", "1.2.0")
    out = outputs_of(push(ds))
    assert out["status"] == "new-version"
    assert record_of(emulator, ds)["metadata"]["version"] == "1.2.0"

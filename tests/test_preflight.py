"""The live vocabulary preflight (issue #10 item 2): `zsync plan` and `sync` ask the target instance
about every licence, resource type, ROR affiliation, funder and award id before anything is sent.

The emulator serves GET /api/vocabularies/{type}/{id}, /api/affiliations/{id}, /api/funders/{id} and
/api/awards/{id} from the same lists it validates saves with; here a smaller list than zsync's own
stands for an instance (the sandbox) whose vocabularies differ from zenodo.org's.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EMULATOR_TOKEN, VOCAB_DIR
from test_sync_e2e import Dataset, make_dataset, run_zsync

from zsync.emulator import Emulator

KNOWN_ROR = "00cv9y106"
KNOWN_FUNDER = "00k4n6c32"
KNOWN_AWARD = "00k4n6c32::101001234"


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[Emulator]:
    vocab = tmp_path / "vocab"
    if VOCAB_DIR.is_dir():
        shutil.copytree(VOCAB_DIR, vocab)
    else:
        vocab.mkdir()
    # This instance has no cc0-1.0 (zsync's offline list has it).
    (vocab / "licenses.json").write_text(json.dumps({"cc-by-4.0": {}, "mit": {}}))
    (vocab / "affiliations.json").write_text(json.dumps([KNOWN_ROR]))
    (vocab / "funders.json").write_text(json.dumps([KNOWN_FUNDER]))
    (vocab / "awards.json").write_text(json.dumps([KNOWN_AWARD]))
    with Emulator(tokens=(EMULATOR_TOKEN,), vocab_dir=vocab) as emu:
        yield emu


def _dataset(tmp_path: Path, emu: Emulator) -> Dataset:
    ds = make_dataset(tmp_path / "dataset", emu.url)
    data = ds.config()
    data["metadata"]["creators"] = [
        {"family_name": "Doe", "given_name": "Jane", "affiliations": [{"ror": KNOWN_ROR}]},
        {"family_name": "Roe", "given_name": "Rick", "affiliations": [{"ror": KNOWN_ROR}]},
    ]
    data["metadata"]["funding"] = [{"funder": {"ror": KNOWN_FUNDER}, "award": {"id": KNOWN_AWARD}}]
    ds.write_config(data)
    return ds


def _vocabulary_gets(emu: Emulator) -> list[str]:
    prefixes = ("/api/vocabularies/", "/api/affiliations/", "/api/funders/", "/api/awards/")
    return [r.path for r in emu.request_log if r.method == "GET" and r.path.startswith(prefixes)]


def test_known_ids_are_asked_once_each_and_the_sync_goes_on(tmp_path: Path, instance: Emulator) -> None:
    ds = _dataset(tmp_path, instance)
    proc = run_zsync("sync", str(ds.config_path))
    assert proc.returncode == 0, proc.stderr
    # cc-by-4.0, dataset, the ROR id (two creators: asked once), the funder, the award.
    assert sorted(_vocabulary_gets(instance)) == [
        "/api/affiliations/00cv9y106",
        "/api/awards/00k4n6c32%3A%3A101001234",
        "/api/funders/00k4n6c32",
        "/api/vocabularies/licenses/cc-by-4.0",
        "/api/vocabularies/resourcetypes/dataset",
    ]


@pytest.mark.parametrize("command", ["sync", "plan"])
def test_ids_this_instance_does_not_know_are_config_errors_with_nothing_sent(
    tmp_path: Path, instance: Emulator, command: str
) -> None:
    ds = _dataset(tmp_path, instance)
    data = ds.config()
    data["metadata"]["license"] = ["cc0-1.0"]
    data["metadata"]["creators"][1]["affiliations"] = [{"ror": "02mhbdp94"}]
    data["metadata"]["funding"] = [{"funder": {"ror": "01cwqze88"}, "award": {"id": "01cwqze88::1"}}]
    ds.write_config(data)
    text = ds.config_path.read_text().splitlines()

    def line_of(needle: str) -> int:
        return next(i for i, line in enumerate(text, 1) if needle in line)

    proc = run_zsync(command, str(ds.config_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    config = str(ds.config_path)
    for field, needle, what in [
        ("metadata.license[0]", "cc0-1.0", "licence 'cc0-1.0'"),
        ("metadata.creators[1].affiliations[0].ror", "02mhbdp94", "ROR affiliation '02mhbdp94'"),
        ("metadata.funding[0].funder.ror", "ror: 01cwqze88", "funder '01cwqze88'"),
        ("metadata.funding[0].award.id", "01cwqze88::1", "award '01cwqze88::1'"),
    ]:
        assert f"{config}:{line_of(needle)}: {field}: {instance.url} has no {what}" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert instance.mutating_requests() == []
    assert not ds.id_file.exists()

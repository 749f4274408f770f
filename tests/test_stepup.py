"""Every stepup-reprep user can switch: real configs of each generation, read as they are.

tests/stepup/ holds real `sync-zenodo` configs from public repositories (1.x, 3.x, 4.x; each names its
source on its first line, a JSON one in a sidecar) and, in rendered/, what each generation's own tool
sends for them (run from the PyPI wheels, date fixed at 2026-01-01, no readme; see
rendered/render_harness.py.txt). For each config:
- `zsync validate` exits 0, or 2 with a message that says exactly what to change;
- the document zsync renders equals, field by field, what that generation produced on Zenodo, but
  where zsync is better on purpose, each such field listed with the reason;
- for 4.x, whose tool takes the files and description as arguments, `zsync sync CONFIG FILE...
  --description FILE` (token in REPREP_ZENODO_TOKEN, as 4.x reads it) against the emulator makes the
  remote record that generation would have made; a second run changes nothing.
1.x spoke Zenodo's legacy deposit API; what it produced on Zenodo is what Zenodo's legacy
deserializer made of its body (zenodo/zenodo-rdm site/zenodo_rdm/legacy/deserializers/metadata.py),
which `legacy_to_rdm` below repeats for the fields 1.x sent.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_sync_e2e import api, mutations, run_zsync

from zsync import cli
from zsync.config import Arguments, load_config
from zsync.emulator import Emulator
from zsync.metadata import owned_view, render_document

STEPUP = Path(__file__).parent / "stepup"
RENDERED = STEPUP / "rendered"
TOKEN = "test-token"
README = "# About\n\nSome *data*.\n"


def _config(generation: str, stem: str) -> Path:
    (found,) = (p for p in (STEPUP / generation).glob(f"{stem}.*") if p.suffix != ".source")
    return found


# How each 4.x config was run (its plan.py): the files and the description given as arguments.
ARGUMENTS_4X = {
    # reproducible-reporting/stepup-reprep tests/examples/sync_zenodo/plan.py:
    # sync_zenodo("sync_zenodo.yaml", ["README.txt"], path_description="zenodo_description.md")
    "reproducible-reporting__stepup-reprep__tests__examples__sync_zenodo__sync_zenodo@6cd4fc3a": (
        ["README.txt"],
        "zenodo_description.md",
    ),
    # The same example at an earlier 4.0 pre-release, with the 3.x `- url:` award identifier (4.0.2
    # refuses it; zsync takes both forms).
    "reproducible-reporting__stepup-reprep__tests__examples__sync_zenodo__sync_zenodo@aa1d67b2": (
        ["README.txt"],
        "zenodo_description.md",
    ),
    # molmod/acid 2_zenodo/plan.py: sync_zenodo("sync_zenodo.yaml", archive_paths,
    # path_description="zenodo_description.md"); the kernels are those of acid's 3.x config, the
    # licence files two stand-ins for static("../LICENSES/*.txt").
    "molmod__acid__2_zenodo__sync_zenodo@9751cd98": (
        [
            "../1_dataset/overview.pdf",
            "main.zip",
            *(f"../1_dataset/output/{k}.zip" for k in ("exp1p", "exp1w", "exp2", "sho1pcrit", "pow1exp")),
            "../3_validation/validation.pdf",
            "../LICENSES/CC-BY-SA-4.0.txt",
            "../LICENSES/LGPL-3.0-or-later.txt",
        ],
        "zenodo_description.md",
    ),
    # The tool's YAML/TOML/JSON equivalence fixtures (tests/test_sync_zenodo.py) have no plan.py.
    "reproducible-reporting__stepup-reprep__tests__test_sync_zenodo.py__CONFIG_YAML@31e0603b": (
        ["README.txt"],
        None,
    ),
    "reproducible-reporting__stepup-reprep__tests__test_sync_zenodo.py__CONFIG_TOML@31e0603b": (
        ["README.txt"],
        None,
    ),
    "reproducible-reporting__stepup-reprep__tests__test_sync_zenodo.py__CONFIG_JSON@31e0603b": (
        ["README.txt"],
        None,
    ),
}


def _stem(path: Path) -> str:
    return path.name.split(".")[0] if "@" not in path.stem else path.name.rsplit(".", 1)[0]


def _lay_out(tmp_path: Path, config: Path, *, arguments: list[str] = (), endpoint: str | None = None) -> Path:
    """The config in a repository-like tree (three folders deep, for its ../ paths) with every file
    it names, and the files it takes as arguments; returns the config's new path."""
    folder = tmp_path / "repo" / "a" / "b"
    folder.mkdir(parents=True)
    (tmp_path / "repo" / ".git").mkdir()  # its ../ paths stay inside the repository (issue #11, item 10)
    target = folder / config.name.split("@")[0].rsplit("__", 1)[-1]
    target = target.with_name(target.name + config.suffix) if target.suffix != config.suffix else target
    text = config.read_text(encoding="utf-8")
    if endpoint is not None:
        text = re.sub(r"https://(sandbox\.)?zenodo\.org/api", endpoint, text)
    target.write_text(text, encoding="utf-8")
    loaded = _document(config)
    if isinstance(loaded, dict):
        named = [*loaded.get("paths", []), *arguments]
        for name in named:
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"content of {name}\n".encode())
        for readme in (loaded.get("path_readme"), "zenodo_description.md"):
            if readme:
                (folder / readme).write_text(README, encoding="utf-8")
    return target


def _document(config: Path) -> Any:
    text = config.read_text(encoding="utf-8")
    if config.suffix == ".json":
        return json.loads(text)
    if config.suffix == ".toml":
        import tomllib

        return tomllib.loads(text)
    import yaml

    return yaml.safe_load(text)


def _validate(config: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """`zsync validate` run from the config's folder, as stepup ran the tool (arguments are relative)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(config.parent)
        code = cli.main(["validate", str(config), *args], environ={})
    out = capsys.readouterr()
    return code, out.out + out.err


# --------------------------------------------------------------------------- zsync validate

# The 1.x files whose creators have no comma: Zenodo stored the whole name as the family name.
NO_COMMA = {
    "molmod__stacie__docs__data__zenodo@aba4654": ["Toon Verstraelen"],
    "molmod__stacie__docs__data__zenodo@6f019c4": ["Gozdenur Toraman", "Toon Verstraelen"],
    "molmod__stacie__docs__data__zenodo@6d62730": ["Gozdenur Toraman", "Toon Verstraelen"],
}
ALL_CONFIGS = sorted(p for p in STEPUP.glob("[134].x/*") if p.suffix in (".yaml", ".toml", ".json"))


@pytest.mark.parametrize("config", ALL_CONFIGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_real_config_validates_or_says_exactly_what_to_change(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stem = config.name.rsplit(".", 1)[0]
    files, description = ARGUMENTS_4X.get(stem, ([], None))
    target = _lay_out(tmp_path, config, arguments=files)
    arguments = [*files, *(["--description", description] if description else [])]
    code, output = _validate(target, *arguments, capsys=capsys)
    if stem in NO_COMMA:
        assert code == 2
        lines = output.splitlines()
        assert len(lines) == len(NO_COMMA[stem])
        for line, name in zip(lines, NO_COMMA[stem], strict=True):
            family, given = name.split()[-1], name.split()[0]
            assert line.endswith(
                f"name: {name!r} has no comma: stepup-reprep 1.x sent it as it is and Zenodo stored all of "
                f"it as the family name (write name: '{family}, {given}' (family name, a comma, given names))"
            ), line
        return
    assert code == 0, output
    assert f"{target} is valid" in output
    if config.parent.name == "1.x":
        assert "note: read as a stepup-reprep 1.x file: record ids stay in .zenodo-versions.json" in output


@pytest.mark.parametrize("stem", sorted(ARGUMENTS_4X))
def test_a_4x_config_without_its_arguments_says_to_give_them(
    tmp_path: Path, stem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config("4.x", stem)
    code, output = _validate(_lay_out(tmp_path, config), capsys=capsys)
    assert code == 2
    assert output.strip().endswith(
        "paths: is required (stepup-reprep 4.x took the files as arguments: zsync sync CONFIG FILE... does "
        "too; or list them here, paths: [data/measurements.csv])"
    )


def test_acid_lists_a_validation_report_where_there_is_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """molmod/acid's generated 3.x config names ../3_dataset/validation.pdf; the report is in
    3_validation/."""
    target = _lay_out(tmp_path, _config("3.x", "molmod__acid__2_zenodo__zenodo@23f75cf"))
    wrong = target.parent / "../3_dataset/validation.pdf"
    (target.parent / "../3_validation").mkdir()
    wrong.rename(target.parent / "../3_validation/validation.pdf")
    code, output = _validate(target, capsys=capsys)
    assert code == 2
    assert output.strip().endswith(
        f"paths[14]: '../3_dataset/validation.pdf' does not exist ({wrong.resolve()})"
    )


# --------------------------------------------------------------------------- field by field


def legacy_to_rdm(body: dict[str, Any]) -> dict[str, Any]:
    """The InvenioRDM metadata Zenodo's legacy deserializer made of a 1.x deposit body (the fields
    1.x sent): a name with exactly one comma split into family and given names, else all of it the
    family name; affiliation -> affiliations [{name}]; orcid -> identifiers; upload_type ->
    resource_type; license -> rights (lower case); publisher defaulting to "Zenodo"."""
    md = body["metadata"]
    creators = []
    for creator in md["creators"]:
        name = creator["name"]
        if name.count(",") == 1:
            family, given = (part.strip() for part in name.split(","))
            person: dict[str, Any] = {"type": "personal", "family_name": family, "given_name": given}
        else:
            person = {"type": "personal", "family_name": name}
        if creator.get("orcid"):
            person["identifiers"] = [{"scheme": "orcid", "identifier": creator["orcid"]}]
        creators.append({"person_or_org": person, "affiliations": [{"name": creator["affiliation"]}]})
    metadata = {
        "title": md["title"],
        "version": md["version"],
        "resource_type": {"id": md["upload_type"]},
        "rights": [{"id": md["license"].lower()}],
        "creators": creators,
        "publisher": "Zenodo",
    }
    if md.get("description"):
        metadata["description"] = md["description"]
    return {"metadata": metadata, "custom_fields": {}}


def _fields(document: dict[str, Any]) -> dict[str, Any]:
    """The owned fields of a document, plus every optional field it gives (custom fields, ...)."""
    optional = [f"metadata.{k}" for k in document.get("metadata", {}) if k in ("languages", "dates")]
    optional += [f"custom_fields.{k}" for k in document.get("custom_fields", {})]
    return owned_view(
        document.get("metadata", {}),
        document.get("custom_fields", {}),
        document.get("access"),
        optional=optional,
    )


def _compare(ours: dict[str, Any], theirs: dict[str, Any], better: dict[str, str]) -> None:
    """Field by field: equal, but for the fields in `better` (field -> why zsync's is better)."""
    mine, tool = _fields(ours), _fields(theirs)
    for name in sorted(mine.keys() | tool.keys()):
        if name in better:
            assert mine.get(name) != tool.get(name), f"{name} is listed as better but is the same"
            continue
        if name in tool:  # a field the generation did not send at all is not compared
            assert mine.get(name) == tool[name], name


def _render(
    config: Path, tmp_path: Path, files: list[str] = (), description: str | None = None
) -> dict[str, Any]:
    target = _lay_out(tmp_path, config, arguments=list(files))
    arguments = Arguments(tuple(files), description, target.parent) if files or description else None
    if description:
        (target.parent / description).write_text(README, encoding="utf-8")
    return render_document(load_config(target, arguments=arguments), publication_date="2026-01-01")


ONE_X = [
    # (config stem, tool version rendered, fields where zsync is better and why)
    ("reproducible-reporting__stepup-reprep__tests__cases__sync_zenodo__zenodo@d2ffe83", "1.3.0", {}),
    ("reproducible-reporting__stepup-reprep__tests__cases__sync_zenodo__zenodo@d2ffe83", "3.0.5", {}),
    (
        "reproducible-reporting__stepup-reprep__tests__examples__sync_zenodo__zenodo@d90a6b0",
        "1.3.0",
        {"metadata.creators": "1.3 dropped the ORCID (only 3.0.4+ sent it); zsync sends it"},
    ),
    ("reproducible-reporting__stepup-reprep__tests__examples__sync_zenodo__zenodo@d90a6b0", "3.0.5", {}),
]


@pytest.mark.parametrize(("stem", "version", "better"), ONE_X, ids=[f"{s[-7:]}-{v}" for s, v, _ in ONE_X])
def test_1x_gives_the_record_zenodo_stored(
    tmp_path: Path, stem: str, version: str, better: dict[str, str]
) -> None:
    rendered = json.loads((RENDERED / f"{stem}.{version}.json").read_text())
    ours = _render(_config("1.x", stem), tmp_path)
    theirs = legacy_to_rdm(rendered["POST deposit/depositions"])
    _compare(
        {**ours, "access": None},
        theirs,
        {"metadata.description": "1.x's readme is not in the fixture", **better},
    )
    assert ours["metadata"]["description"] == "<h1>About</h1>\n<p>Some <em>data</em>.</p>\n"
    assert ours["files"]["order"] == rendered["files (basename order)"]
    assert ours["access"] == {"record": "public", "files": "public"}  # the legacy default


THREE_X = sorted(p.name.rsplit(".", 1)[0] for p in (STEPUP / "3.x").glob("*.yaml"))


@pytest.mark.parametrize("stem", THREE_X)
def test_3x_gives_the_record_3x_sent(tmp_path: Path, stem: str) -> None:
    (theirs,) = json.loads((RENDERED / f"{stem}.3.1.11.json").read_text()).values()
    ours = _render(_config("3.x", stem), tmp_path)
    # 3.x sent `description: null` here (the readme was not copied); zsync sends the readme.
    _compare(ours, theirs, {"metadata.description": "the readme, which the fixture lacks"})
    assert ours["files"] == theirs["files"]
    assert ours["custom_fields"] == theirs.get("custom_fields", {})


FOUR_X_RENDERED = {
    "reproducible-reporting__stepup-reprep__tests__examples__sync_zenodo__sync_zenodo@6cd4fc3a": "yaml",
    "reproducible-reporting__stepup-reprep__tests__test_sync_zenodo.py__CONFIG_YAML@31e0603b": "yaml",
    "reproducible-reporting__stepup-reprep__tests__test_sync_zenodo.py__CONFIG_TOML@31e0603b": "toml",
    "reproducible-reporting__stepup-reprep__tests__test_sync_zenodo.py__CONFIG_JSON@31e0603b": "json",
}
# 4.x sent award identifiers without a scheme when the config gave none; Zenodo then detects it
# (`url` for these), so zsync sends the scheme Zenodo would store, and compares as it stores it.
AWARD_SCHEME = {"metadata.funding": "the award identifier's scheme, which Zenodo would detect: url"}


@pytest.mark.parametrize("stem", sorted(FOUR_X_RENDERED))
def test_4x_gives_the_record_4x_sent(tmp_path: Path, stem: str) -> None:
    suffix = FOUR_X_RENDERED[stem]
    (theirs,) = json.loads((RENDERED / f"{stem}.{suffix}.4.0.2.json").read_text()).values()
    files, description = ARGUMENTS_4X[stem]
    ours = _render(_config("4.x", stem), tmp_path, files, description)
    better = AWARD_SCHEME if "6cd4fc3a" in stem else {}
    better = {**better, "metadata.description": "the --description file"} if description else better
    _compare(ours, theirs, better)
    if better:
        (award,) = [f["award"] for f in ours["metadata"]["funding"]]
        assert award["identifiers"] == [
            {"scheme": "url", "identifier": "https://example.com/award/123456789"}
        ]
    assert ours["custom_fields"] == theirs["custom_fields"]
    assert ours["files"]["order"] == [Path(f).name for f in files]


# --------------------------------------------------------------------------- against the emulator


def _remote(emulator: Emulator, record_id: str) -> dict[str, Any]:
    draft: dict[str, Any] = api(emulator, "GET", f"/records/{record_id}/draft").json()
    return draft


def _sync_4x(target: Path, arguments: list[str]) -> subprocess.CompletedProcess[str]:
    """`zsync sync CONFIG FILE...` from the config's folder, with the token where 4.x read it."""
    return run_zsync(
        "sync",
        target.name,
        *arguments,
        cwd=target.parent,
        token=None,
        extra_env={"REPREP_ZENODO_TOKEN": TOKEN},
    )


@pytest.mark.parametrize("stem", sorted(ARGUMENTS_4X))
def test_4x_sync_with_its_arguments_makes_the_record_4x_would(
    tmp_path: Path, emulator: Emulator, stem: str
) -> None:
    files, description = ARGUMENTS_4X[stem]
    config = _config("4.x", stem)
    target = _lay_out(tmp_path, config, arguments=files, endpoint=emulator.url)
    arguments = [*files, *(["--description", description] if description else [])]
    proc = _sync_4x(target, arguments)
    assert proc.returncode == 0, proc.stderr
    record_id = (target.parent / ".zenodo-record-id.txt").read_text().strip()
    remote = _remote(emulator, record_id)
    assert sorted(remote["files"]["entries"]) == sorted(Path(f).name for f in files)
    assert remote["files"]["order"] == [Path(f).name for f in files]
    # 4.0.2 refuses aa1d67b2 (its `- url:` award identifier); with `- identifier:` it is 6cd4fc3a.
    rendered_as = stem.replace("@aa1d67b2", "@6cd4fc3a")
    if rendered_as in FOUR_X_RENDERED:
        (theirs,) = json.loads(
            (RENDERED / f"{rendered_as}.{FOUR_X_RENDERED[rendered_as]}.4.0.2.json").read_text()
        ).values()
        better = AWARD_SCHEME if "6cd4fc3a" in rendered_as else {}
        if description:
            better = {**better, "metadata.description": "the --description file"}
            assert "<em>data</em>" in remote["metadata"]["description"]
        _compare(remote, theirs, better)
    else:  # molmod/acid's 4.x file, which 4.0.2 refuses for its `- url:` award identifier
        assert remote["custom_fields"]["code:codeRepository"] == "https://github.com/molmod/acid"
        assert [lang["id"] for lang in remote["custom_fields"]["code:programmingLanguage"]] == [
            "python",
            "typst",
        ]
        (identifier,) = remote["metadata"]["funding"][0]["award"]["identifiers"]
        assert identifier["scheme"] == "url"
    emulator.clear_log()
    again = _sync_4x(target, arguments)
    assert again.returncode == 0, again.stderr
    assert mutations(emulator) == []


def test_1x_keeps_its_record_ids_by_version(tmp_path: Path, emulator: Emulator) -> None:
    """A 1.x repository goes on with its .zenodo-versions.json, written as 1.x wrote it."""
    stem = "reproducible-reporting__stepup-reprep__tests__examples__sync_zenodo__zenodo@d90a6b0"
    target = _lay_out(tmp_path, _config("1.x", stem), endpoint=emulator.url)
    versions = target.parent / ".zenodo-versions.json"
    proc = run_zsync("sync", str(target))
    assert proc.returncode == 0, proc.stderr
    first = json.loads(versions.read_text())
    assert list(first) == ["1.0.0"]
    (record_id,) = (str(v) for v in first.values())
    remote = _remote(emulator, record_id)
    rendered = json.loads((RENDERED / f"{stem}.3.0.5.json").read_text())
    _compare(
        remote, legacy_to_rdm(rendered["POST deposit/depositions"]), {"metadata.description": "the readme"}
    )
    assert not (target.parent / ".zenodo-record-id.txt").exists()

    emulator.clear_log()
    assert run_zsync("sync", str(target)).returncode == 0
    assert mutations(emulator) == []

    emulator.publish(record_id)
    target.write_text(target.read_text().replace("version: '1.0.0'", "version: '1.1.0'"))
    proc = run_zsync("sync", str(target))
    assert proc.returncode == 0, proc.stderr
    second = json.loads(versions.read_text())
    assert list(second) == ["1.0.0", "1.1.0"] and str(second["1.0.0"]) == record_id
    assert versions.read_text() == json.dumps(second, indent=2) + "\n"  # as 1.x's dump_version
    new = _remote(emulator, str(second["1.1.0"]))
    assert new["metadata"]["version"] == "1.1.0"


def test_3x_token_file_from_reprep_path_zenodo_token(tmp_path: Path, emulator: Emulator) -> None:
    """3.1.4+ let REPREP_PATH_ZENODO_TOKEN name the token file instead of path_token; zsync too."""
    stem = "reproducible-reporting__stepup-reprep__tests__examples__sync_zenodo__zenodo@92a96df"
    target = _lay_out(tmp_path, _config("3.x", stem), endpoint=emulator.url)
    token_file = tmp_path / "token.txt"
    token_file.write_text(TOKEN + "\n")
    proc = run_zsync("sync", str(target), token=None, extra_env={"REPREP_PATH_ZENODO_TOKEN": str(token_file)})
    assert proc.returncode == 0, proc.stderr
    record_id = (target.parent / ".zenodo-record-id.txt").read_text().strip()
    (theirs,) = json.loads((RENDERED / f"{stem}.3.1.11.json").read_text()).values()
    _compare(_remote(emulator, record_id), theirs, {"metadata.description": "the readme"})


def test_fixtures_name_their_source() -> None:
    for path in ALL_CONFIGS:
        first = path.read_text().splitlines()[0] if path.suffix != ".json" else ""
        source = path.with_name(path.name + ".source")
        assert first.startswith("# source: ") or source.read_text().startswith("source: "), path

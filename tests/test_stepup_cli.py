"""stepup-reprep 4.x's command line and token, in zsync's command and action; and `zsync migrate`.

`zsync validate|render|plan|sync CONFIG FILE... [--description FILE]` add files and a description to
the config's, with the same checks; the action's `files` and `description` inputs do the same.
REPREP_ZENODO_TOKEN is read after ZENODO_TOKEN. A job must not succeed silently without a token it
was meant to have: `require-token` fails it, and so does a token-like variable zsync does not read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_entrypoint import TOKEN, Workspace, workspace  # noqa: F401 (the fixture)

from zsync import cli, github
from zsync.config import Arguments, load_config, resolve_token, unread_token_variables
from zsync.emulator import Emulator
from zsync.errors import ConfigError, UsageError
from zsync.migrate import migrate

CONFIG = """\
endpoint: https://sandbox.zenodo.org/api
metadata:
  title: A small dataset
  version: '1.0.0'
  resource_type: dataset
  creators:
    - name: 'Doe, Jane'
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "data").mkdir()
    for name in ("a.csv", "b.csv"):
        (tmp_path / "data" / name).write_text(f"{name}\n")
    (tmp_path / "about.md").write_text("# About\n")
    (tmp_path / "zenodo.yaml").write_text(CONFIG + "paths: [data/a.csv]\n")
    (tmp_path / "files-only.yaml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _main(
    capsys: pytest.CaptureFixture[str], *args: str, env: dict[str, str] | None = None
) -> tuple[int, str]:
    code = cli.main(list(args), environ=env or {})
    out = capsys.readouterr()
    return code, out.out + out.err


def test_files_given_as_arguments_are_added_to_the_configs(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _main(capsys, "validate", "zenodo.yaml", "data/b.csv")
    assert code == 0 and "2 files" in out
    code, out = _main(
        capsys, "validate", "files-only.yaml", "data/a.csv", "data/b.csv", "--description", "about.md"
    )
    assert code == 0 and "2 files" in out


def test_arguments_get_the_configs_checks_and_name_the_command_line(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _main(
        capsys,
        "validate",
        "zenodo.yaml",
        "data/a.csv",
        "missing.csv",
        "sub/a.csv",
        "--description",
        "about.txt",
    )
    assert code == 2
    assert out.splitlines() == [
        "command line: description: 'about.txt' must be a Markdown (.md) or HTML (.html) file (Zenodo shows "
        "it as the description: convert it, or rename it if it is Markdown)",
        "command line: files[0]: 'data/a.csv' is listed twice (also paths[0])",
        f"command line: files[1]: 'missing.csv' does not exist ({folder / 'missing.csv'})",
        "command line: files[2]: 'sub/a.csv' has the same file name 'a.csv' as paths[0] ('data/a.csv'); "
        "Zenodo has no folders "
        "(rename one of them, or put them in an archive: {archive: data.zip, from: folder/})",
    ]


def test_a_description_is_given_once(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "readme.yaml").write_text(CONFIG + "path_readme: about.md\npaths: [data/a.csv]\n")
    code, out = _main(capsys, "validate", "readme.yaml", "--description", "about.md")
    assert code == 2
    assert (
        "readme.yaml:8: path_readme: the description is also given with --description (keep one of them)"
        in out
    )
    (folder / "inline.yaml").write_text(CONFIG + "  description: '<p>Inline.</p>'\npaths: [data/a.csv]\n")
    code, out = _main(capsys, "validate", "inline.yaml", "--description", "about.md")
    assert code == 2
    assert "inline.yaml:8: metadata.description: also given with --description (keep one of them)" in out


def test_render_uses_the_arguments(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _main(capsys, "render", "files-only.yaml", "data/b.csv", "--description", "about.md")
    assert code == 0
    doc = json.loads(out)
    assert doc["files"]["order"] == ["b.csv"]
    assert doc["metadata"]["description"] == "<h1>About</h1>\n"


def test_without_arguments_a_config_without_paths_is_refused(folder: Path) -> None:
    with pytest.raises(ConfigError, match="paths: is required"):
        load_config(folder / "files-only.yaml")


def test_clean_is_refused_with_what_to_do_instead(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _main(capsys, "sync", "zenodo.yaml", "--clean")
    assert code == 2
    assert "deleted every unpublished draft of the account" in out
    assert "zsync discard CONFIG" in out


# --------------------------------------------------------------------------- the token


def test_reprep_zenodo_token_is_read_after_zenodo_token(folder: Path) -> None:
    config = load_config(folder / "zenodo.yaml")
    assert resolve_token(config, {"REPREP_ZENODO_TOKEN": "reprep"}) == "reprep"
    assert resolve_token(config, {"ZENODO_TOKEN": "zsync", "REPREP_ZENODO_TOKEN": "reprep"}) == "zsync"
    (folder / ".env").write_text("REPREP_ZENODO_TOKEN=from-dotenv\n")
    assert resolve_token(config, {}, cwd=folder) == "from-dotenv"
    (folder / "token.txt").write_text("from-file\n")
    (folder / ".env").unlink()
    assert resolve_token(config, {"REPREP_PATH_ZENODO_TOKEN": str(folder / "token.txt")}) == "from-file"
    assert github.read_token({"REPREP_ZENODO_TOKEN": "reprep"}) == "reprep"
    assert github.read_token({"INPUT_TOKEN": "input", "REPREP_ZENODO_TOKEN": "reprep"}) == "input"


def test_unread_token_like_variables_are_named() -> None:
    env = {
        "ZENODO_API_TOKEN": "x",
        "INPUT_ZENODO_TOKEN": "y",  # `with: zenodo_token:`, an input the action does not have
        "ZENODO_SANDBOX_TOKEN": "",  # empty: a fork's pull request; not a mistake
        "ZENODO_TOKEN": "",
        "REPREP_ZENODO_TOKEN": "",
        "INPUT_TOKEN": "",
        "HOME": "/root",
    }
    assert unread_token_variables(env) == ["INPUT_ZENODO_TOKEN", "ZENODO_API_TOKEN"]


def test_a_job_with_an_unread_token_variable_fails_instead_of_validating(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"GITHUB_ACTIONS": "true", "ZENODO_API_TOKEN": "s3cr3t-value"}
    code, out = _main(capsys, "sync", "zenodo.yaml", env=env)
    assert code == 2
    assert "no Zenodo token, but ZENODO_API_TOKEN is set: zsync does not read that variable" in out
    assert "s3cr3t-value" not in out
    # Outside a job the same shell variable is somebody else's business: validate only.
    code, out = _main(capsys, "sync", "zenodo.yaml", env={"ZENODO_API_TOKEN": "s3cr3t-value"})
    assert code == 0 and "status: validated" in out


def test_in_a_job_the_warning_names_the_variables_zsync_reads(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _main(capsys, "sync", "zenodo.yaml", env={"GITHUB_ACTIONS": "true"})
    assert code == 0
    (warning,) = [line for line in out.splitlines() if line.startswith("::warning")]
    assert warning.startswith("::warning title=Validated only::no Zenodo token")
    assert "ZENODO_TOKEN or REPREP_ZENODO_TOKEN" in warning and "REPREP_PATH_ZENODO_TOKEN" in warning


def test_require_token_fails_without_one(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _main(capsys, "sync", "zenodo.yaml", "--require-token")
    assert code == 2
    assert "no Zenodo token, and one is required (require-token); nothing was sent" in out


# --------------------------------------------------------------------------- the action


def test_action_inputs_files_description_require_token(tmp_path: Path) -> None:
    env = {
        "GITHUB_WORKSPACE": str(tmp_path),
        "INPUT_FILES": "data/a.csv\n\n  data/b.csv  \n",
        "INPUT_DESCRIPTION": "about.md",
        "INPUT_REQUIRE-TOKEN": "true",
    }
    inputs = github.ActionInputs.from_environ(env)
    assert inputs.files == ("data/a.csv", "data/b.csv")
    assert inputs.description == "about.md"
    assert inputs.require_token is True
    assert github.ActionInputs.from_environ({"GITHUB_WORKSPACE": str(tmp_path)}).require_token is False


def test_action_uploads_the_files_input_with_the_reprep_token(
    workspace: Workspace,  # noqa: F811 (the fixture)
    emulator: Emulator,
) -> None:
    (workspace.root / "extra.csv").write_text("x,y\n1,2\n")
    run = workspace.run(files="extra.csv\n", REPREP_ZENODO_TOKEN=TOKEN)
    assert run.code == 0, run.log
    assert run.log.splitlines()[0] == f"::add-mask::{TOKEN}"  # stepup-reprep's variable is a secret too
    assert run.outputs["files-uploaded"] == "4"


def test_action_require_token_fails_the_step(
    workspace: Workspace,  # noqa: F811 (the fixture)
    emulator: Emulator,
) -> None:
    run = workspace.run(require_token="true")
    assert run.code == 2, run.log
    assert run.outputs["status"] == "failed"
    assert "no Zenodo token, and one is required" in run.log
    assert emulator.request_log == []


# --------------------------------------------------------------------------- zsync migrate

ONE_X = """\
# A stepup-reprep 1.x config
path_versions: .zenodo-versions.json
endpoint: https://sandbox.zenodo.org/api
path_token: ~/.config/zenodo-token.txt
metadata:
  title: 'Drink a coffee'   # a comment that stays
  version: '1.0.0'
  license: cc-by-nc-4.0
  upload_type: dataset
  keywords: [coffee]
  creators:
    - name: 'Verstraelen, Toon'
      affiliation: >-
        Center for Molecular Modeling (CMM),
        Ghent University
      orcid: '0000-0001-9288-5608'
    - affiliation: Somewhere
      name: 'Doe, Jane'
path_readme: zenodo.md
paths:
  - README.txt
"""


def _one_x(folder: Path) -> Path:
    (folder / "README.txt").write_text("x\n")
    (folder / "zenodo.md").write_text("# Hi\n")
    (folder / ".zenodo-versions.json").write_text('{"1.0.0": 15543903, "0.9": 12}\n')
    path = folder / "zenodo.yaml"
    path.write_text(ONE_X)
    return path


def test_migrate_1x_keeps_comments_and_describes_the_same_record(tmp_path: Path) -> None:
    path = _one_x(tmp_path)
    migration = migrate(ONE_X, source=path)
    assert migration.text == (
        "# A stepup-reprep 1.x config\n"
        "path_record_id: .zenodo-record-id.txt\n"
        "endpoint: https://sandbox.zenodo.org/api\n"
        "path_token: ~/.config/zenodo-token.txt\n"
        "metadata:\n"
        "  title: 'Drink a coffee'   # a comment that stays\n"
        "  version: '1.0.0'\n"
        "  license: cc-by-nc-4.0\n"
        "  resource_type: dataset\n"
        "  publisher: Zenodo\n"
        "  keywords: [coffee]\n"
        "  creators:\n"
        "    - name: 'Verstraelen, Toon'\n"
        "      affiliations:\n"
        "        - name: >-\n"
        "            Center for Molecular Modeling (CMM),\n"
        "            Ghent University\n"
        "      identifiers:\n"
        "        orcid: '0000-0001-9288-5608'\n"
        "    - affiliations:\n"
        "        - name: Somewhere\n"
        "      name: 'Doe, Jane'\n"
        "path_readme: zenodo.md\n"
        "paths:\n"
        "  - README.txt\n"
    )
    assert migration.record_id_file == (tmp_path / ".zenodo-record-id.txt", "15543903")
    old, new = load_config(path), load_config(_write(tmp_path / "new.yaml", migration.text))
    # Now zsync's format (which a 3.x file also is), describing the same record.
    assert new.generation != "1.x" and new.metadata == old.metadata and new.paths == old.paths


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_migrate_write_replaces_the_file_and_writes_the_record_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _one_x(tmp_path)
    assert cli.main(["migrate", str(path), "--write"], environ={}) == 0
    err = capsys.readouterr().err
    assert "wrote record id 15543903" in err
    assert (tmp_path / ".zenodo-record-id.txt").read_text() == "15543903\n"
    assert load_config(path).generation != "1.x"
    assert cli.main(["migrate", str(path)], environ={}) == 0  # already zsync's: unchanged
    assert capsys.readouterr().out == path.read_text()


def test_migrate_4x_writes_its_arguments_and_the_sandbox_it_meant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "zenodo"
    (folder / "out").mkdir(parents=True)
    (folder / "out" / "data.zip").write_text("z\n")
    (folder / "about.md").write_text("# About\n")
    four = "path_record_id: .zenodo-record-id.txt\n" + CONFIG.split("\n", 1)[1].replace("A small", "A 4.x")
    monkeypatch.chdir(tmp_path)  # 4.x's arguments are relative to where it ran, not to the config
    for name, text in (
        ("sync_zenodo.yaml", four),
        (
            "sync_zenodo.toml",
            'path_record_id = ".zenodo-record-id.txt"\n\n[metadata]\ntitle = "A 4.x dataset"\n'
            'version = "1.0.0"\nresource_type = "dataset"\n\n[[metadata.creators]]\nfamily_name = "Doe"\n',
        ),
        (
            "sync_zenodo.json",
            json.dumps(
                {
                    "path_record_id": ".zenodo-record-id.txt",
                    "metadata": {
                        "title": "A 4.x dataset",
                        "version": "1.0.0",
                        "resource_type": "dataset",
                        "creators": [{"family_name": "Doe"}],
                    },
                }
            ),
        ),
    ):
        path = _write(folder / name, text)
        arguments = cli._arguments(
            cli.build_parser().parse_args(
                ["migrate", str(path), "zenodo/out/data.zip", "--description", "zenodo/about.md"]
            )
        )
        migration = migrate(text, source=path, arguments=arguments)
        config = load_config(_write(path, migration.text))
        assert config.endpoint == "https://sandbox.zenodo.org/api", name
        assert config.paths == (folder / "out" / "data.zip",), name
        assert config.path_readme == folder / "about.md", name
        assert any("stepup-reprep 4.x's default" in change for change in migration.changes)


def test_migrate_refuses_what_cannot_be_carried_over(tmp_path: Path) -> None:
    text = ONE_X.replace("'Doe, Jane'", "'Jane Doe'")
    with pytest.raises(ConfigError, match="write name: 'Doe, Jane'"):
        migrate(text, source=_one_x(tmp_path))


def test_migrate_writes_a_layout_it_cannot_edit_anew(tmp_path: Path) -> None:
    path = _one_x(tmp_path)
    flow = (
        "{path_versions: .zenodo-versions.json, endpoint: 'https://sandbox.zenodo.org/api', "
        "path_token: t.txt, metadata: {title: Drink a coffee, version: '1.0.0', license: cc-by-4.0, "
        "upload_type: dataset, creators: [{name: 'Doe, Jane', affiliation: Lab, "
        "orcid: '0000-0002-1825-0097'}]}, "
        "paths: [README.txt]}\n"
    )
    path.write_text(flow)
    migration = migrate(flow, source=path)
    assert "the file was written out anew, without its comments" in migration.changes[-1]
    new = load_config(_write(tmp_path / "new.yaml", migration.text))
    assert new.metadata == load_config(path).metadata
    assert new.metadata.creators[0].identifiers == (("orcid", "0000-0002-1825-0097"),)


def test_migrate_of_a_1x_file_takes_no_arguments(tmp_path: Path) -> None:
    path = _one_x(tmp_path)
    (tmp_path / "more.txt").write_text("more\n")
    with pytest.raises(UsageError, match=r"1\.x took no files"):
        migrate(ONE_X, source=path, arguments=Arguments(("more.txt",), base=tmp_path))


def test_files_may_follow_an_option(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _main(
        capsys, "validate", "files-only.yaml", "--description", "about.md", "data/a.csv", "data/b.csv"
    )
    assert code == 0 and "2 files" in out
    with pytest.raises(SystemExit) as info:
        cli.main(["validate", "zenodo.yaml", "--bogus"], environ={})
    assert info.value.code == 2
    with pytest.raises(SystemExit):
        cli.main(["discard", "zenodo.yaml", "data/a.csv"], environ={})  # discard takes no files

"""zenodo.yaml loading: valid configs, normalisation, line map, token resolution and identifier checks.

Broken configs, one per rule, are in test_config_catalogue.py; the schema in test_jsonschema.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zsync import identifiers, vocabulary
from zsync.config import (
    DEFAULT_RECORD_ID_FILE,
    check_endpoint,
    load_config,
    parse_config,
    resolve_token,
    summarize,
)
from zsync.errors import ConfigError
from zsync.frozen import FrozenInstanceError
from zsync.models import Affiliation, Award, Creator, Funding, RelatedIdentifier

ROOT = Path(__file__).parent.parent
CONFIGS = Path(__file__).parent / "configs"
VALID = CONFIGS / "valid"

MINIMAL = """\
endpoint: https://zenodo.org/api
metadata:
  title: Minimal
  version: '0.1'
  resource_type: other
  creators:
    - family_name: Doe
paths:
  - data/a.csv
"""


def parse(text: str, **kwargs: bool):  # type: ignore[no-untyped-def]
    return parse_config(text, source=CONFIGS / "inline.yaml", **kwargs)


def problems(text: str, **kwargs: bool) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(text, **kwargs)
    return [str(p).removeprefix(f"{CONFIGS / 'inline.yaml'}:") for p in info.value.problems]


# --------------------------------------------------------------------------- valid configs


def test_example_dataset_loads_and_summarizes() -> None:
    config = load_config(ROOT / "examples" / "zenodo.yaml")
    summary = summarize(config)
    assert summary.title == "Water temperature in a garden pond, spring 2026"
    assert summary.version == "1.0.0"
    assert summary.file_count == 3
    assert summary.total_size_bytes == sum(p.stat().st_size for p in config.paths) > 0
    assert [p.name for p in config.paths] == ["measurements.csv", "notes.txt", "plot.svg"]
    assert config.path_readme == ROOT / "examples" / "zenodo.md"


def test_spec_template_loads_unchanged_semantics() -> None:
    config = load_config(VALID / "spec_template.yaml")
    assert config.endpoint == "https://sandbox.zenodo.org/api"
    assert config.path_token == Path.home() / ".config" / "sandbox-zenodo-org-token.txt"
    assert config.path_record_id == VALID / DEFAULT_RECORD_ID_FILE
    md = config.metadata
    assert md.licenses == ("cc-by-nc-4.0",)
    assert md.keywords == ("keyword1", "keyword2")
    first, second = md.creators
    assert first == Creator(
        kind="personal",
        family_name="Last name 1",
        given_name="First name 1",
        identifiers=(("orcid", "0000-0002-1825-0097"),),
        affiliations=(
            Affiliation(ror="00cv9y106"),
            Affiliation(name="Research group, University, Street and number, ZIP code City, Country"),
            Affiliation(name="Consortium name, Some more details, ..."),
        ),
    )
    assert (second.kind, second.family_name, second.given_name) == ("personal", "Last name 2", "First name 2")
    assert md.related == (RelatedIdentifier("doi", "10.1234/zenodo.1234567", "cites", "publication"),)
    assert md.funding == (
        Funding(
            funder_ror="00k4n6c32",
            award=Award(
                title="Full title of the award",
                number="Award number",
                identifiers=(
                    ("url", "https://example.org/award/1234"),
                    ("url", "https://example.org/award/5678"),
                ),
            ),
        ),
    )
    assert config.code_repository == "https://github.com/example/repo2"


def test_stepup_example_single_license_and_spaced_isni() -> None:
    config = load_config(VALID / "stepup_example.yaml")
    assert config.metadata.licenses == ("cc-by-nc-4.0",)
    assert config.metadata.creators[0].identifiers == (
        ("orcid", "0000-0001-9288-5608"),
        ("isni", "0000000351249044"),
    )


def test_rich_config_normalises_every_field() -> None:
    config = load_config(VALID / "rich.yaml")
    md = config.metadata
    assert config.endpoint == "http://127.0.0.1:5000/api"  # trailing slash stripped, loopback may use http
    assert config.path_record_id == VALID / "state" / "record-id.txt"
    assert md.title == "A rich dataset with every field"
    assert md.keywords == ("ponds", "temperature", "2026")
    assert md.licenses == ("cc-by-4.0", "mit", "cc0-1.0")
    jane, anna, mono, acme = md.creators
    assert jane.identifiers == (("orcid", "0000-0002-1825-0097"), ("isni", "000000012281955X"))
    assert jane.affiliations == (Affiliation(ror="00cv9y106"), Affiliation(name="Pond Observation Group"))
    assert (anna.family_name, anna.given_name, anna.name) == (
        "van der Berg",
        "Anna Maria",
        "van der Berg, Anna Maria",
    )
    assert (mono.family_name, mono.given_name) == ("Mononym", None)
    assert acme == Creator(
        kind="organizational",
        name="ACME Consortium",
        identifiers=(("ror", "05dxps055"), ("isni", "000000012281955X")),
        affiliations=(Affiliation(name="ACME Holding"),),
    )
    ids = {(r.scheme, r.identifier) for r in md.related}
    assert ("doi", "10.5281/zenodo.1234567") in ids
    assert ("arxiv", "arXiv:2101.00001") in ids
    assert ("arxiv", "arXiv:hep-th/9901001") in ids
    assert ("handle", "20.1000/100") in ids
    assert md.funding[0] == Funding(funder_ror="00k4n6c32", award=Award(id="00k4n6c32::101001234"))
    assert md.funding[2] == Funding(funder_name="Anonymous donor")
    assert config.access.record == "public"
    assert config.access.files == "restricted"


def test_result_is_immutable_with_line_map() -> None:
    config = load_config(ROOT / "examples" / "zenodo.yaml")
    assert isinstance(config.paths, tuple)
    assert isinstance(config.metadata.creators, tuple)
    with pytest.raises(FrozenInstanceError):
        config.endpoint = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.lines["endpoint"] = 1  # type: ignore[index]
    text = (ROOT / "examples" / "zenodo.yaml").read_text().splitlines()
    orcid_line = config.lines["metadata.creators[0].identifiers.orcid"]
    assert text[orcid_line - 1].strip().startswith("orcid:")
    assert text[config.lines["metadata.creators[1]"] - 1].strip() == "- name: 'Doe, Jane'"
    assert (
        config.line_of("metadata.creators[0].person_or_org.family_name")
        == config.lines["metadata.creators[0]"]
    )


def test_relative_paths_resolve_beside_the_config_and_tilde_expands(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "f.txt").write_text("x")
    text = MINIMAL.replace("data/a.csv", "sub/../sub/f.txt") + "path_token: ~/token.txt\n"
    config = parse_config(text, source=tmp_path / "zenodo.yaml")
    assert config.paths == (tmp_path / "sub" / "f.txt",)
    assert config.path_token == Path.home() / "token.txt"
    assert config.source == tmp_path / "zenodo.yaml"


def test_upper_case_license_is_lower_cased() -> None:
    assert parse(MINIMAL + "  ").metadata.licenses == ()
    text = MINIMAL.replace("  resource_type: other\n", "  resource_type: other\n  license: CC-BY-4.0\n")
    assert parse(text).metadata.licenses == ("cc-by-4.0",)


def test_check_files_false_skips_the_file_system() -> None:
    text = MINIMAL.replace("data/a.csv", "nowhere/missing.csv") + "path_readme: missing.md\n"
    config = parse(text, check_files=False)
    assert config.paths == (CONFIGS / "nowhere" / "missing.csv",)
    assert problems(text) == [
        f"9: paths[0]: 'nowhere/missing.csv' does not exist ({CONFIGS / 'nowhere' / 'missing.csv'})",
        f"10: path_readme: 'missing.md' does not exist ({CONFIGS / 'missing.md'})",
    ]


def test_file_name_longer_than_255_characters() -> None:
    # Linux cannot even create such a file, so this rule is checked without the file system.
    name = "x" * 252 + ".csv"
    found = problems(MINIMAL.replace("data/a.csv", name), check_files=False)
    assert found == ["9: paths[0]: the file name is 256 characters; Zenodo allows 255"]


def test_record_id_file_with_a_number_is_fine(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("x")
    (tmp_path / DEFAULT_RECORD_ID_FILE).write_text(" 1234567\n")
    assert (
        parse_config(MINIMAL, source=tmp_path / "zenodo.yaml").path_record_id
        == tmp_path / DEFAULT_RECORD_ID_FILE
    )
    (tmp_path / DEFAULT_RECORD_ID_FILE).write_text("12 34\n")
    with pytest.raises(ConfigError, match="must hold one record id"):
        parse_config(MINIMAL, source=tmp_path / "zenodo.yaml")


def test_every_problem_at_once_sorted_by_line() -> None:
    text = MINIMAL.replace("title: Minimal", "title: M").replace("'0.1'", "0.1").replace("other", "othr")
    found = problems(text)
    assert [p.split(":")[0] for p in found] == ["3", "4", "5"]


def test_missing_file_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="the file does not exist"):
        load_config(tmp_path / "zenodo.yaml")
    (tmp_path / "zenodo.yaml").write_bytes(b"title: \xff\xfe\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(tmp_path / "zenodo.yaml")


def test_control_character_reports_its_line() -> None:
    assert problems(MINIMAL.replace("Minimal", "Mini\x07mal")) == [
        "3: YAML syntax error: unacceptable character #x0007"
    ]


# --------------------------------------------------------------------------- endpoint


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://zenodo.org/api", "https://zenodo.org/api"),
        ("https://sandbox.zenodo.org/api/", "https://sandbox.zenodo.org/api"),
        ("http://127.0.0.1:8123/api", "http://127.0.0.1:8123/api"),
        ("http://localhost/api", "http://localhost/api"),
        ("http://[::1]:9000/api", "http://[::1]:9000/api"),
        ("https://data.example.org/api", "https://data.example.org/api"),
    ],
)
def test_valid_endpoints(value: str, expected: str) -> None:
    assert check_endpoint(value) == (expected, "", None)


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("https://www.zenodo.org/api", "did you mean 'https://zenodo.org/api'?"),
        ("https://sandbox.zenodo.org", "did you mean 'https://sandbox.zenodo.org/api'?"),
        ("https://zenodo.org/api/records", "did you mean 'https://zenodo.org/api'?"),
        ("http://sandbox.zenodo.org/api", "did you mean 'https://sandbox.zenodo.org/api'?"),
        ("http://10.0.0.5/api", "did you mean 'https://10.0.0.5/api'?"),
        ("https://data.example.org", "did you mean 'https://data.example.org/api'?"),
        (
            "https://sandbox.zenodo.org/api?access_token=abc",
            "use https://zenodo.org/api or https://sandbox.zenodo.org/api",
        ),
    ],
)
def test_invalid_endpoints_say_what_to_write(value: str, hint: str) -> None:
    result, message, given_hint = check_endpoint(value)
    assert result is None
    assert message
    assert given_hint == hint


# --------------------------------------------------------------------------- token


def _config(tmp_path: Path, extra: str = ""):  # type: ignore[no-untyped-def]
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "a.csv").write_text("x")
    return parse_config(MINIMAL + extra, source=tmp_path / "zenodo.yaml")


def test_token_from_environment_wins(tmp_path: Path) -> None:
    config = _config(tmp_path, "path_token: token.txt\n")
    (tmp_path / "token.txt").write_text("from-file\n")
    (tmp_path / ".env").write_text("ZENODO_TOKEN=from-dotenv\n")
    assert resolve_token(config, {"ZENODO_TOKEN": " from-env "}, cwd=tmp_path) == "from-env"


def test_token_from_dotenv_in_cwd_then_beside_config(tmp_path: Path) -> None:
    config_dir, cwd = tmp_path / "cfg", tmp_path / "cwd"
    config_dir.mkdir()
    cwd.mkdir()
    config = _config(config_dir, "path_token: token.txt\n")
    (config_dir / "token.txt").write_text("from-file")
    (config_dir / ".env").write_text("ZENODO_TOKEN='beside-config'\n")
    environ_before = dict(os.environ)
    assert resolve_token(config, {}, cwd=cwd) == "beside-config"
    (cwd / ".env").write_text("OTHER=1\nZENODO_TOKEN=in-cwd\n")
    assert resolve_token(config, {"ZENODO_TOKEN": ""}, cwd=cwd) == "in-cwd"
    assert dict(os.environ) == environ_before  # .env is read, never loaded into the process


def test_token_from_file_stripped_and_missing_or_empty_means_none(tmp_path: Path) -> None:
    config = _config(tmp_path, "path_token: token.txt\n")
    assert resolve_token(config, {}, cwd=tmp_path) is None
    (tmp_path / "token.txt").write_text("")
    assert resolve_token(config, {}, cwd=tmp_path) is None
    (tmp_path / "token.txt").write_text("  secret-token\n")
    assert resolve_token(config, {}, cwd=tmp_path) == "secret-token"
    other = tmp_path / "other"
    other.mkdir()
    assert resolve_token(_config(other), {}, cwd=other) is None  # no env, no .env, no path_token


def test_loader_does_not_import_requests() -> None:
    code = "import sys, zsync.config, zsync.jsonschema; print(json.dumps('requests' in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", "import json; " + code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) is False


# --------------------------------------------------------------------------- identifiers


@pytest.mark.parametrize(
    ("digits", "check"),
    [("000000021825009", "7"), ("000000012281955", "X"), ("000000035124904", "4")],
)
def test_mod11_2(digits: str, check: str) -> None:
    assert identifiers.mod11_2_check_character(digits) == check


@pytest.mark.parametrize(
    "ror", ["00cv9y106", "00k4n6c32", "04wxnsj81", "03yrm5c26", "05dxps055", "02mhbdp94"]
)
def test_real_ror_ids_pass_the_checksum(ror: str) -> None:
    assert identifiers.normalize_ror(ror.upper()) == ror
    assert identifiers.normalize_ror(f"https://ror.org/{ror}") == ror


@pytest.mark.parametrize(
    ("check", "value", "normalised"),
    [
        (identifiers.normalize_orcid, "https://orcid.org/0000-0002-1825-0097", "0000-0002-1825-0097"),
        (identifiers.normalize_orcid, "0000000218250097", "0000-0002-1825-0097"),
        (identifiers.normalize_orcid, "0000-0002-1694-233x", "0000-0002-1694-233X"),
        (identifiers.normalize_isni, "0000 0001 2281 955x", "000000012281955X"),
        (identifiers.normalize_doi, "doi:10.1000/xyz", "10.1000/xyz"),
        (identifiers.normalize_doi, "http://dx.doi.org/10.1000/a b", "10.1000/a b"),
    ],
)
def test_normalisation(check, value: str, normalised: str) -> None:  # type: ignore[no-untyped-def]
    assert check(value) == normalised


@pytest.mark.parametrize(
    ("scheme", "good", "bad"),
    [
        ("doi", "10.1234/abc", "10.abc/def"),
        ("url", "https://example.org", "ftp://example.org"),
        ("arxiv", "2101.00001v3", "2101.001"),
        ("isbn", "0-306-40615-2", "0-306-40615-3"),
        ("isbn", "978-3-16-148410-0", "977-3-16-148410-0"),
        ("issn", "2049-3630", "2049-3631"),
        ("eissn", "0317-8471", "0317-8472"),
        ("ean13", "4006381333931", "4006381333932"),
        ("upc", "036000291452", "036000291453"),
        ("istc", "0A9-2002-12B4A105-7", "0A9-2002-12B4A105-8"),
        ("isni", "0000000121032683", "0000000121032684"),
        ("handle", "20.1000/100", "no-slash"),
        ("urn", "urn:isbn:0451450523", "isbn:0451450523"),
        ("purl", "https://purl.org/dc/terms/", "https://example.org/dc"),
        ("w3id", "https://w3id.org/ro/crate", "https://example.org/ro"),
        ("pmid", "pmid:12345", "12a45"),
        ("wikidata", "Q42", "P31"),
        ("rrid", "RRID:AB_2178887", "AB_2178887"),
        ("grid", "grid.5342.0", "5342.0"),
        ("lsid", "urn:lsid:ubio.org:namebank:11815", "urn:lsid:ubio.org"),
        ("ark", "ark:/13030/tf5p30086k", "ark:13030"),
        ("other", "anything", "  "),
    ],
)
def test_related_identifier_checks(scheme: str, good: str, bad: str) -> None:
    assert identifiers.normalize_identifier(scheme, good)
    with pytest.raises(identifiers.InvalidIdentifier):
        identifiers.normalize_identifier(scheme, bad)


def test_every_scheme_has_a_check() -> None:
    for scheme in vocabulary.IDENTIFIER_SCHEMES:
        with pytest.raises(identifiers.InvalidIdentifier):
            identifiers.normalize_identifier(scheme, " ")


def test_orcid_outside_issued_blocks() -> None:
    # A valid ISNI checksum, but not in a block ORCID issues from.
    with pytest.raises(identifiers.InvalidIdentifier, match="outside the ranges"):
        identifiers.normalize_orcid("0000-0001-2281-955X")


# --------------------------------------------------------------------------- vocabularies vs Zenodo


def test_token_in_endpoint_query_is_not_echoed() -> None:
    found = problems(MINIMAL.replace("https://zenodo.org/api", "https://zenodo.org/api?access_token=s3cr3t"))
    assert found == [
        "1: endpoint: the endpoint must not have a query (?...) or fragment (#...) "
        "(use https://zenodo.org/api or https://sandbox.zenodo.org/api)"
    ]
    assert "s3cr3t" not in " ".join(found)


def test_unreadable_dotenv_is_skipped(tmp_path: Path) -> None:
    config = _config(tmp_path, "path_token: token.txt\n")
    (tmp_path / ".env").write_bytes(b"ZENODO_TOKEN=\xff\xfe\n")
    (tmp_path / "token.txt").write_text("from-file")
    assert resolve_token(config, {}, cwd=tmp_path) == "from-file"


@pytest.mark.parametrize("award", ["{number: '42'}", "{title: Garden ponds}", "{number: '42', title: Ponds}"])
def test_an_award_with_a_number_or_a_title_alone_is_accepted(tmp_path: Path, award: str) -> None:
    """Issue #10 item 3: AwardRelationSchema takes an id, or a number, or a title (tests/schema_check.py
    sends these through the real schema)."""
    text = f"""\
endpoint: https://sandbox.zenodo.org/api
metadata:
  title: A dataset
  version: '1.0.0'
  resource_type: dataset
  creators: [{{name: 'Doe, Jane'}}]
  funding: [{{funder: {{name: Acme}}, award: {award}}}]
paths: [a.csv]
"""
    config = parse_config(text, source=tmp_path / "zenodo.yaml", check_files=False)
    rendered = config.metadata.funding[0].award
    assert rendered is not None and (rendered.number or rendered.title)

"""Start-up: what a CI step pays on every run. zsync's regular expressions are compiled where they are
used (`zsync.lazyre`), never at import; `zsync validate` and a `zsync plan` without a token import
none of the modules only HTTP, a description or an unusual version needs (the timings themselves are
in `python -m benchmarks --only startup`, never asserted here)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "zsync"
EXAMPLE = PACKAGE.parent / "examples" / "zenodo.yaml"

# What a run that sends nothing and renders no description must not pay for: the HTTP stack (requests,
# urllib3, tenacity: about as much again as the rest of zsync), Markdown, PEP 440 parsing (a semantic
# version needs none), importlib.resources, and the thread pool (nothing is hashed).
NOT_AT_START_UP = (
    "requests",
    "urllib3",
    "tenacity",
    "markdown_it",
    "packaging",
    "importlib.resources",
    "concurrent.futures",
)

_REPORT_IMPORTS = (
    "import json, sys\n"
    "from zsync.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    "import yaml.reader\n"
    "pattern = yaml.reader.Reader.NON_PRINTABLE\n"
    "print(json.dumps({'rc': rc, 'heavy': [m for m in HEAVY if m in sys.modules],\n"
    "    'reader_pattern_compiled': getattr(pattern, '_compiled', pattern) is not None}))\n"
)


def _imports_of(*args: str, cwd: Path) -> dict[str, object]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ZENODO_", "REPREP_", "GITHUB_", "INPUT_"))
    }
    proc = subprocess.run(
        [sys.executable, "-c", _REPORT_IMPORTS.replace("HEAVY", repr(NOT_AT_START_UP)), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_a_run_that_sends_nothing_imports_no_http_markdown_or_pep440(command: str, tmp_path: Path) -> None:
    # `plan` without a token validates the config and its files and sends nothing (status validated).
    result = _imports_of(command, str(EXAMPLE), cwd=tmp_path)
    assert result["rc"] == 0
    assert result["heavy"] == []


def test_yaml_is_read_by_libyaml_without_compiling_the_pure_python_readers_pattern(tmp_path: Path) -> None:
    # PyYAML's pure-Python reader checks for unprintable characters with one pattern of a few Unicode
    # ranges, which costs as much to compile as starting Python; libyaml, which zsync uses, checks itself.
    yaml = pytest.importorskip("yaml")
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML without libyaml: the pure-Python reader is used, and compiles its pattern")
    result = _imports_of("validate", str(EXAMPLE), cwd=tmp_path)
    assert result["rc"] == 0
    assert result["reader_pattern_compiled"] is False


def _module_level_compiles(path: Path) -> list[int]:
    tree = ast.parse(path.read_text())
    found = []
    for node in tree.body:
        for call in ast.walk(node):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                break
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "compile"
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id == "re"
            ):
                found.append(call.lineno)
    return found


def test_no_module_compiles_a_regular_expression_at_import() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if "emulator" not in path.parts and (lines := _module_level_compiles(path))
    }
    assert offenders == {}, f"use zsync.lazyre.Lazy instead: {offenders}"


def test_importing_the_config_and_the_engine_compiles_none_of_zsyncs_patterns() -> None:
    code = (
        "import json, re, traceback\n"
        "orig = re._compile\n"
        "ours = []\n"
        "def counting(pattern, flags):\n"
        "    if (type(pattern), pattern, flags) not in re._cache:\n"
        "        frames = [f.filename for f in traceback.extract_stack()[:-1]]\n"
        "        outer = [f for f in frames if '/re/' not in f and 'importlib' not in f]\n"
        "        if outer and '/zsync/' in outer[-1] and '/emulator/' not in outer[-1]:\n"
        "            ours.append(outer[-1])\n"
        "    return orig(pattern, flags)\n"
        "re._compile = counting\n"
        "import zsync.config, zsync.engine, zsync.metadata, zsync.versions, zsync.loader.fromtoml\n"
        "print(json.dumps(ours))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


def test_compiling_lazily_defers_patterns_and_restores_re_compile() -> None:
    import re

    from zsync.lazyre import Lazy, compiling_lazily

    compile_before = re.compile

    def import_that_fails() -> Lazy:
        with compiling_lazily():
            pattern = re.compile("[unclosed")  # an error only when used: nothing was compiled yet
            assert isinstance(pattern, Lazy)
            raise RuntimeError(pattern)

    with pytest.raises(RuntimeError) as failed:
        import_that_fails()
    assert re.compile is compile_before
    deferred = failed.value.args[0]
    with pytest.raises(re.error):
        deferred.search("x")
    with compiling_lazily():
        words = re.compile(r"\w+")
    assert words.findall("a bc") == ["a", "bc"]  # a method Lazy does not name is the compiled one's


def test_a_pattern_used_while_compiling_lazily_is_compiled() -> None:
    """A module imported under `compiling_lazily` may use a pattern at once (dataclasses does, for
    each class of a module imported with it): it is compiled then, not deferred forever."""
    import re

    from zsync.lazyre import compiling_lazily

    with compiling_lazily():
        word = re.compile(r"\w+")
        assert word.match("abc ") is not None
    assert isinstance(word.compiled, re.Pattern)


def test_lazy_patterns_take_what_compiled_ones_take() -> None:
    """A module imported under `compiling_lazily` calls its patterns as compiled ones (http.cookies
    matches from a position, others up to an end): the same arguments, the same answers."""
    import re

    from zsync.lazyre import Lazy

    text = "key=value; other=x"
    for method, args in (
        ("match", (text, 4)),
        ("match", (text, 4, 9)),
        ("search", (text, 0, 3)),
        ("fullmatch", (text, 4, 9)),
        ("sub", ("_", text)),
        ("sub", ("_", text, 1)),
        ("split", (text,)),
        ("findall", (text,)),
    ):
        lazy, compiled = getattr(Lazy(r"\w+"), method)(*args), getattr(re.compile(r"\w+"), method)(*args)
        if isinstance(compiled, re.Match):
            assert isinstance(lazy, re.Match), (method, args)
            assert (lazy.span(), lazy.group()) == (compiled.span(), compiled.group()), (method, args)
        else:
            assert lazy == compiled, (method, args)
    assert Lazy(rb"[^:\s][^:\r\n]*").fullmatch(b"Content-Type") is not None  # bytes patterns too


def test_charset_detection_still_works_after_zsync_imported_requests() -> None:
    """charset_normalizer hands one of its patterns to re.sub, which refuses a Lazy: zsync imports it
    before the lazy block (a process that uses zsync as a library may use it too)."""
    code = (
        "import zsync.transport, charset_normalizer\n"
        "data = '<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\\xe9</a>'.encode('latin-1')\n"
        "print(charset_normalizer.from_bytes(data).best().output()[:5])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.startswith("b'<?xm"), done.stderr[-500:]


def test_a_lazy_pattern_copies_and_pickles_as_a_pattern_would() -> None:
    import copy
    import pickle

    from zsync.lazyre import Lazy

    for pattern in (Lazy(r"a+b"), copy.copy(Lazy(r"a+b")), pickle.loads(pickle.dumps(Lazy(r"a+b")))):
        assert pattern.match("aab") is not None
    used = Lazy(r"\d+")
    used.search("x1")
    assert copy.deepcopy(used).findall("1 22") == ["1", "22"]
    with pytest.raises(AttributeError):
        _ = Lazy("x").__nonexistent__

"""Start-up: what a CI step pays on every run. zsync's regular expressions are compiled where they are
used (`zsync.lazyre`), never at import; `zsync validate` does not import requests (see test_cli)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "zsync"


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

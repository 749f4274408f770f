"""Guards against regrowth: the size limits and the one-way import stack of ARCHITECTURE.md.

Sizes: no function in zsync/ (the emulator aside) over 60 lines, no class over 400. Imports: each
module may import only modules of its own layer or below (lazy imports inside functions count;
`if TYPE_CHECKING:` blocks do not), and only the named modules may import requests/urllib3 and yaml.
A new module must be given a layer here, which is the point: someone decides where it sits.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "zsync"

# Lower layers may not import higher ones.
LAYERS: dict[str, int] = {
    "zsync._version": 0, "zsync.errors": 0, "zsync.units": 0, "zsync.lazyre": 0, "zsync.safetext": 0,
    "zsync.atomicwrite": 0, "zsync.cancel": 0, "zsync.frozen": 0,
    "zsync.models": 1, "zsync.reviews": 1, "zsync.identifiers": 1, "zsync.vocabulary": 1, "zsync.versions": 1,
    "zsync.globs": 1, "zsync.deadline": 1, "zsync.createnote": 1, "zsync.archives": 2, "zsync.serverids": 2,
    "zsync.loader": 2, "zsync.loader.nodes": 2, "zsync.loader.fromyaml": 2, "zsync.loader.walk": 2,
    "zsync.loader.fromtoml": 2, "zsync.loader.fromjson": 2, "zsync.stepup": 2, "zsync.doitext": 2,
    "zsync.filecheck": 3, "zsync.configrules": 3, "zsync.configschema": 3, "zsync.config": 3,
    "zsync.configpaths": 3, "zsync.citation": 3, "zsync.metasources": 3, "zsync.metajson": 3,
    "zsync.sourcefields": 3,
    "zsync.jsonschema": 3, "zsync.metadata": 3, "zsync.localfiles": 3, "zsync.report": 3,
    "zsync.transport": 3,
    "zsync.apicommunities": 4, "zsync.api": 4, "zsync.planning": 4, "zsync.communityplan": 4,
    "zsync.preflight": 4, "zsync.writeback": 4, "zsync.shareplan": 4, "zsync.apishare": 4,
    "zsync.engine": 5,
    "zsync.github": 6, "zsync.gitops": 6, "zsync.demo": 6, "zsync.migrate": 6, "zsync.init": 6,
    "zsync.cli": 7, "zsync": 7, "zsync.__main__": 7, "entrypoint": 7,
    # The emulator stands apart (it imports only the version); the CLI and the demo start it.
    "zsync.emulator": 1,
}  # fmt: skip

ONLY_IMPORTED_BY = {
    "requests": {"zsync.transport"},
    "urllib3": {"zsync.transport"},
    "yaml": {"zsync.loader.fromyaml"},
}

MAX_FUNCTION_LINES = 60
MAX_CLASS_LINES = 400


def _modules() -> dict[str, Path]:
    found = {"entrypoint": ROOT / "entrypoint.py"}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if not name.startswith("zsync.emulator"):
            found[name] = path
    return found


def _imports(tree: ast.Module) -> set[str]:
    """Every module imported, outside `if TYPE_CHECKING:` blocks (those never run)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def _layer_of(name: str) -> int | None:
    while name:
        if name in LAYERS:
            return LAYERS[name]
        name = name.rpartition(".")[0]
    return None


def test_every_module_has_a_layer() -> None:
    missing = [name for name in _modules() if name not in LAYERS]
    assert not missing, f"give these modules a layer in tests/test_code_shape.py: {missing}"


@pytest.mark.parametrize("name", sorted(_modules()))
def test_imports_point_down_the_stack(name: str) -> None:
    tree = ast.parse(_modules()[name].read_text())
    own = LAYERS[name]
    upward = sorted(
        imported
        for imported in _imports(tree)
        if (imported == "zsync" or imported.startswith("zsync."))
        and (layer := _layer_of(imported)) is not None
        and layer > own
        and not name.startswith(imported + ".")  # a submodule may import its package's version
    )
    assert not upward, f"{name} (layer {own}) imports higher layers: {upward}"


@pytest.mark.parametrize("library", sorted(ONLY_IMPORTED_BY))
def test_third_party_libraries_stay_in_their_one_module(library: str) -> None:
    users = {
        name
        for name, path in _modules().items()
        if any(i == library or i.startswith(library + ".") for i in _imports(ast.parse(path.read_text())))
    }
    assert users <= ONLY_IMPORTED_BY[library], f"{library} imported by {sorted(users)}"


def test_functions_and_classes_stay_small() -> None:
    too_big = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                limit = MAX_CLASS_LINES if isinstance(node, ast.ClassDef) else MAX_FUNCTION_LINES
                if size > limit:
                    too_big.append(f"{name}.{node.name}: {size} lines (limit {limit})")
    assert not too_big, "\n".join(too_big)

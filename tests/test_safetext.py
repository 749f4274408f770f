"""Escaping output (`safetext.escape_controls`) and refusing control characters in a config
(`walk.control_problem`): the fast path for printable text gives what the patterns give."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from zsync import safetext
from zsync.loader import walk

EXAMPLE = Path(__file__).parents[1] / "examples" / "zenodo.yaml"

UNSAFE = [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x061C, 0x200B, 0x200E, 0x200F]
UNSAFE += [0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A), *range(0xD800, 0xE000), 0xFEFF]


def by_pattern(text: str, *, keep_line_breaks: bool) -> str:
    pattern = safetext._UNSAFE if keep_line_breaks else safetext._UNSAFE_OR_LINE_BREAK
    return pattern.sub(safetext._escaped, text)


def test_every_character_the_pattern_escapes_is_unprintable() -> None:
    escaped = [c for c in range(sys.maxunicode + 1) if by_pattern(chr(c), keep_line_breaks=True) != chr(c)]
    assert escaped == UNSAFE
    assert not any(chr(c).isprintable() for c in escaped)


@given(st.text(), st.booleans())
def test_escaping_is_the_patterns(text: str, keep_line_breaks: bool) -> None:
    escaped = safetext.escape_controls(text, keep_line_breaks=keep_line_breaks)
    assert escaped == by_pattern(text, keep_line_breaks=keep_line_breaks)


@given(st.lists(st.sampled_from([*map(chr, UNSAFE), "\n", "\t", "a", "é", " ", "::", "\u00ad"])).map("".join))
def test_escaping_is_the_patterns_on_text_full_of_what_it_escapes(text: str) -> None:
    for keep in (True, False):
        assert safetext.escape_controls(text, keep_line_breaks=keep) == by_pattern(
            text, keep_line_breaks=keep
        )


def test_a_validate_that_prints_plain_text_compiles_no_escaping_pattern() -> None:
    """The escaping pattern takes more instructions to compile than the rest of the output costs."""
    code = (
        "import sys; from zsync import cli, safetext; rc = cli.main(['validate', sys.argv[1]]); "
        "print(rc, safetext._UNSAFE._compiled, safetext._UNSAFE_OR_LINE_BREAK._compiled)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(EXAMPLE)], capture_output=True, text=True, check=False
    )
    assert done.stdout.splitlines()[-1] == "0 None None", done.stdout + done.stderr


def test_every_character_a_config_value_may_not_hold_is_unprintable() -> None:
    for pattern in (walk._CONTROL, walk._CONTROL_OR_BREAK):
        found = [c for c in range(sys.maxunicode + 1) if pattern.search(chr(c))]
        assert found and not any(chr(c).isprintable() for c in found)


@given(st.lists(st.sampled_from([*map(chr, UNSAFE), "\n", "\t", "a", "é", " "])).map("".join), st.booleans())
def test_a_control_character_is_found_as_by_the_pattern(text: str, multiline: bool) -> None:
    bad = (walk._CONTROL if multiline else walk._CONTROL_OR_BREAK).search(text)
    problem = walk.control_problem(text, multiline=multiline)
    assert (problem is None) == (bad is None)
    if bad is not None:
        assert problem is not None and f"character {bad.start() + 1})" in problem[0]

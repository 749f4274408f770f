"""The description's Markdown is rendered with markdown-it imported under `compiling_lazily` (its
patterns compiled as they are used): the HTML must be what markdown-it imported as usual gives, for
every rule it has. Each side renders in a process of its own, so neither sees the other's import."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]

# One or more samples of every block and inline rule of CommonMark with tables.
SNIPPETS = [
    "# ATX heading #\n\nSetext heading\n==============\n\nAnother\n-------\n",
    "*em* _em_ **strong** __strong__ ***both*** *a **nested** b* a*b*c 2*3*4 _not_emphasis_\n",
    "`code` `` a ` b `` ```x``` \\`escaped\\` \\* \\_ \\# \\\\\n",
    "[link](https://example.org \"title\") [ref][r] [r] ![img](a.png 'alt')\n\n[r]: /url 'T'\n",
    "<https://auto.link/x?y=1> <HTTP://UPPER.case/>\n",
    "<user@example.org> <mailto:a@b.c> https://not.linkified.org www.example.org\n",
    "&amp; &copy; &#123; &#x1F600; &nosuch; &#0; &#xFFFFFFF;\n",
    "<span class=\"x\">inline</span> <!-- comment --> <?pi ?> <![CDATA[x]]> <a href='y'>a</a>\n",
    "<script>\nalert(1)\n</script>\n\n<pre>\npre\n</pre>\n\n<style>s{}</style>\n",
    "<!-- block\ncomment -->\n\n<?php echo 1; ?>\n\n<!DOCTYPE html>\n\n<![CDATA[\nraw\n]]>\n",
    '<div>\n*not md*\n</div>\n\n<custom-tag attr="1">\ntext\n\n<table><tr><td>x</td></tr></table>\n',
    "```python\nprint('x')\n```\n\n~~~\ntilde\n~~~\n\n    indented code\n    more\n",
    "- a\n- b\n  - nested\n    1. deep\n\n1) one\n2) two\n\n3. three\n\n* [ ] task? no\n+ plus\n",
    "> quote\n> > nested\n>\n> - list in quote\n\n---\n***\n___\n",
    "| a | b :| :c: |\n|:--|--:|:-:|\n| 1 | 2 | 3 |\n| `|` | \\| | x |\n",
    "line with two spaces  \nhard break\\\nbackslash break\nsoft break\n",
    "tab\there\n\tindented by tab\n\u0000nul \ufeff bom \u00a0nbsp \u2028 ls\n",
    "Données, 数据, Ελληνικά, emoji 🎉, RTL \u202e text\n",
    "[unclosed *emph _mixed* text_ **bold [link](x)** ![img *em*](y)\n",
    "1986\\. not a list\n\n+++\n\n\\<not html>\n\n<http://a.b/c d>\n\n[](empty)\n",
    "Quotes \"double\" 'single' -- --- ... (c) (tm) +- ?!!!\n",
    "<details>\n<summary>More</summary>\n\nHidden *text*.\n\n</details>\n",
    "Zenodo badge [![DOI](https://zenodo.org/badge/DOI/10.5281/zenodo.1.svg)](https://doi.org/10.5281/zenodo.1)\n",
]

RENDER = """
import json, sys
if sys.argv[1] == "lazy":
    from zsync.metadata import _markdown
    md = _markdown()
else:
    from markdown_it import MarkdownIt
    md = MarkdownIt("commonmark").enable("table")
texts = json.load(sys.stdin)
out = []
for text in texts:
    try:
        out.append(md.render(text))
    except Exception as exc:
        out.append(f"raised {type(exc).__name__}: {exc}")
print(json.dumps(out))
"""


def rendered(mode: str, texts: list[str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", RENDER, mode],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result: list[str] = json.loads(done.stdout)
    return result


def corpus() -> list[str]:
    shipped = sorted(p for p in ROOT.rglob("*.md") if not {".venv", "build", ".git"} & set(p.parts))
    files = [p.read_text("utf-8", errors="replace") for p in shipped]
    mixed = random.Random(13)  # fixed: the same mixtures each run
    mixtures = ["".join(mixed.choices(SNIPPETS, k=mixed.randint(2, 8))) for _ in range(200)]
    return [*SNIPPETS, "".join(SNIPPETS), *files, *mixtures]


def test_lazily_compiled_markdown_renders_what_markdown_it_renders() -> None:
    texts = corpus()
    assert len(texts) > len(SNIPPETS) + 200  # the repository's own Markdown files are in it
    lazy, eager = rendered("lazy", texts), rendered("eager", texts)
    assert not [t for t in eager if t.startswith("raised ")]
    mismatched = [i for i, (a, b) in enumerate(zip(lazy, eager, strict=True)) if a != b]
    assert mismatched == [], texts[mismatched[0]][:300]


def test_rendering_compiles_only_the_patterns_a_text_uses() -> None:
    code = (
        "import re, re._compiler as c\n"
        "n = []\n"
        "real = c.compile\n"
        "c.compile = lambda p, f=0: (n.append(p), real(p, f))[1]\n"
        "from zsync.metadata import _markdown\n"
        "_markdown().render('# Title\\n\\nA *short* description.\\n')\n"
        "print(len(n))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert int(done.stdout) < 30  # markdown-it compiles 69 at import

"""Sizes, rates and counts as people read them (binary units, as file managers show them)."""

from __future__ import annotations


def format_size(size_bytes: int | float) -> str:
    """1536 -> '1.5 KiB'; sizes in binary units, as people read them in file managers."""
    value = float(size_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def counted(number: int, noun: str) -> str:
    """'1 file', '3 files': a count with its noun in the right number (nouns that take an s)."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def format_rate(size_bytes: int, elapsed_s: float) -> str:
    if elapsed_s <= 0:
        return "-"
    return f"{format_size(size_bytes / elapsed_s)}/s"

"""What a person sees: sizes, and the live progress line on a terminal (never in CI logs)."""

import io
import logging

from zsync.report import LogReporter, TerminalReporter, format_rate, format_size


def test_sizes_in_binary_units() -> None:
    assert format_size(0) == "0 B"
    assert format_size(1023) == "1023 B"
    assert format_size(1536) == "1.5 KiB"
    assert format_size(5 * 1024**3) == "5.0 GiB"
    assert format_rate(2048, 2.0) == "1.0 KiB/s"
    assert format_rate(10, 0) == "-"


def test_terminal_progress_line_is_redrawn_then_cleared(caplog) -> None:  # type: ignore[no-untyped-def]
    stream = io.StringIO()
    reporter = TerminalReporter(stream, logging.getLogger("zsync.test"))
    reporter.progress("data.bin", 512, 1024)
    reporter.progress("data.bin", 1024, 1024)
    with caplog.at_level(logging.INFO, logger="zsync.test"):
        reporter.file_done("uploaded", "data.bin", 1024, 0.5)
    text = stream.getvalue()
    assert text.count("\r") == 3
    assert " 50.0% of 1.0 KiB" in text and "100.0% of 1.0 KiB" in text
    assert text.endswith("\r\x1b[K")
    assert "uploaded data.bin (1.0 KiB in 0.5 s, 2.0 KiB/s)" in caplog.text


def test_log_reporter_prints_no_progress(caplog) -> None:  # type: ignore[no-untyped-def]
    reporter = LogReporter(logging.getLogger("zsync.test"))
    with caplog.at_level(logging.DEBUG, logger="zsync.test"):
        reporter.progress("data.bin", 512, 1024)
    assert caplog.text == ""

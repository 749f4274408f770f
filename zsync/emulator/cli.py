"""`python -m zsync.emulator` and `zsync emulator`: serve a local Zenodo until Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType

from zsync._version import __version__
from zsync.emulator.server import Emulator

DEFAULT_TOKEN = "emulator-token"  # noqa: S105 (a public test token, documented)
DEFAULT_PORT = 8321


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zsync emulator",
        description=(
            "Serve a local emulation of Zenodo's InvenioRDM API for tests and offline trials. "
            "Use the printed URL as the endpoint and the printed token as the Zenodo token. "
            "Admin routes under /api/_emulator/ publish drafts, delete records, inject faults "
            "and show the request log."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (0.0.0.0 in a container)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any)"
    )
    parser.add_argument("--data", metavar="DIR", help="keep records and files in DIR across restarts")
    parser.add_argument(
        "--token",
        action="append",
        metavar="T",
        help=f"accepted token, one user each; repeatable (default {DEFAULT_TOKEN!r})",
    )
    parser.add_argument(
        "--index-delay", type=float, default=0.0, metavar="S", help="seconds /user/records lags behind"
    )
    parser.add_argument("--version", action="version", version=f"zsync emulator {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tokens = tuple(args.token or [DEFAULT_TOKEN])
    emulator = Emulator(
        tokens=tokens, data_dir=args.data, port=args.port, host=args.host, index_delay_s=args.index_delay
    )
    stopped = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
    emulator.start()
    try:
        print(f"zsync emulator {__version__} serving {emulator.url}", flush=True)
        for token in tokens:
            print(f"token: {token}", flush=True)
        print("Ctrl-C to stop", flush=True)
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0

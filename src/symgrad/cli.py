"""The ``symgrad`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import demo


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="symgrad", description="A define-then-run autodiff compiler that emits NumPy code."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run the classic examples and check each")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo.run(sys.stdout)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""`python -m tests.benchmarks NAME [options]` → tests/benchmarks/NAME.py `main(argv)`."""
from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

# A benchmark whose name is a Python keyword lives in a module named otherwise.
ALIASES = {"import": "importing"}
USAGE = "usage: python -m tests.benchmarks NAME [options] [--json]   (NAME --help for its options)"


def available() -> list[str]:
    modules = {m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_")}
    named = {alias: module for alias, module in ALIASES.items() if module in modules}
    return sorted((modules - set(named.values())) | set(named))


def main(argv: list[str]) -> int:
    names = available()
    if argv and argv[0] in {"-h", "--help"}:
        print(f"{USAGE}\nbenchmarks: {', '.join(names)}")
        return 0
    if not argv or argv[0] not in names:
        unknown = f"unknown benchmark {argv[0]!r}\n" if argv else ""
        print(f"{unknown}{USAGE}\nbenchmarks: {', '.join(names)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"tests.benchmarks.{ALIASES.get(argv[0], argv[0])}")
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Benchmarks: `python -m tests.benchmarks NAME [options] [--json]`.

Each benchmark is a module here with `main(argv) -> int`. With `--json` the last line printed is
one JSON object with the figures (see DESIGN.md, "Interfaces").
"""

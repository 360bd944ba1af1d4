#!/usr/bin/env bash
# Creates .venv and installs the pinned requirements (REQUIREMENTS=requirements-test.txt for tests).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "${REQUIREMENTS:-requirements.txt}"

#!/usr/bin/env bash
# Command 2: install the test dependencies (and Debian's chromium for browser tests when
# missing), then run the whole suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUIREMENTS=requirements-test.txt scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "chromium could not be installed: browser tests will be skipped"
  else
    echo "chromium is missing and cannot be installed here: browser tests will be skipped"
  fi
fi
set +e
# Two test processes (pytest-xdist) by default; TEST_PROCESSES=0 runs in one.
.venv/bin/python -m pytest -n "${TEST_PROCESSES:-2}" "$@"
rc=$?
set -e
if [ "$rc" = 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi
exit "$rc"

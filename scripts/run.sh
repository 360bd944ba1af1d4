#!/usr/bin/env bash
# Command 1: set up and run the site on the embedded defaults (SQLite, Celery on a filesystem
# broker, database search, demo data): web on http://127.0.0.1:8000, a Celery worker and beat.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p var
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py load_demo
exec .venv/bin/honcho start -f Procfile

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**base, "DJANGO_SETTINGS_MODULE": "marketplace.settings.production", **env}, timeout=120)


def test_production_refuses_to_start_without_secret_key_and_allowed_hosts():
    result = _manage("check", ALLOWED_HOSTS="ocop.example.vn")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
    result = _manage("check", SECRET_KEY="x" * 60)
    assert result.returncode != 0 and "ALLOWED_HOSTS must be set" in result.stderr


def test_production_passes_check_deploy(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY="k3y-" + "a1b2c3d4e5" * 6,
                     ALLOWED_HOSTS="ocop.example.vn", VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_sends_content_security_and_permissions_policies(tmp_path):
    code = ("from django.test import Client; r = Client().get('/healthz', secure=True); "
            "print(r['Content-Security-Policy']); print(r['Permissions-Policy'])")
    result = _manage("shell", "-c", code, SECRET_KEY="k3y-" + "a1b2c3d4e5" * 6, ALLOWED_HOSTS="testserver",
                     VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    csp, permissions = result.stdout.strip().splitlines()[-2:]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["script-src"][0] == "'self'" and "'unsafe-inline'" not in directives["script-src"]
    assert "https://js.stripe.com" in directives["script-src"] and "https://tile.openstreetmap.org" in directives["img-src"]
    assert directives["object-src"] == ["'none'"] and "camera=()" in permissions

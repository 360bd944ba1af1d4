"""`python -m tests.fakes.platforms` — serve the three fake platforms for a local demo.

Prints the CONNECTOR_* variables to export in the shell that runs the web process and worker,
then serves until Ctrl-C. Items under review go live `--review-after-seconds` after submission.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import threading

from tests.fakes.platforms import NgheAn37Fake, PostMartFake, VosoFake, running


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.platforms", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--postmart-port", type=int, default=8701)
    parser.add_argument("--voso-port", type=int, default=8702)
    parser.add_argument("--nghean37-port", type=int, default=8703)
    parser.add_argument("--no-rate-limits", action="store_true", help="switch the published rate limits off")
    parser.add_argument("--review-after-seconds", type=float, default=10.0,
                        help="seconds before an item under review goes live (default 10)")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of calls that fail at random (0–1)")
    return parser.parse_args(argv)


def env_lines(postmart: PostMartFake, voso: VosoFake, nghean37: NgheAn37Fake) -> list[str]:
    keys = ",".join(f"{code}:{key}" for code, key in nghean37.api_keys.items())
    values = {
        "CONNECTOR_POSTMART_URL": postmart.url,
        "CONNECTOR_POSTMART_CLIENT_ID": postmart.client_id,
        "CONNECTOR_POSTMART_CLIENT_SECRET": postmart.client_secret,
        "CONNECTOR_VOSO_URL": voso.url,
        "CONNECTOR_VOSO_APP_KEY": voso.app_key,
        "CONNECTOR_VOSO_APP_SECRET": voso.app_secret,
        "CONNECTOR_VOSO_SHOP_ID": voso.shop_id,
        "CONNECTOR_NGHEAN37_URL": nghean37.url,
        "CONNECTOR_NGHEAN37_API_KEYS": keys,
        "CONNECTOR_ALLOW_PRIVATE_URLS": "1",  # the fakes listen on this machine
    }
    return [f"export {name}='{value}'" for name, value in values.items()]


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    options = {"rate_limits": not args.no_rate_limits, "review_after_reads": None,
               "review_after_seconds": args.review_after_seconds}
    fakes = (PostMartFake(**options), VosoFake(**options), NgheAn37Fake(**options))
    ports = (args.postmart_port, args.voso_port, args.nghean37_port)
    with contextlib.ExitStack() as stack:
        for fake, port in zip(fakes, ports, strict=True):
            stack.enter_context(running(fake, host=args.host, port=port))
            if args.fault_rate:
                fake.faults.random(args.fault_rate, seed=None)
        print("# fake platforms are serving; export these, then run `python manage.py sync_listings`:")
        print("\n".join(env_lines(*fakes)), flush=True)
        print(f"# a buyer orders on PostMart: curl -X POST {fakes[0].url}/_fake/orders -d '{{\"lines\": [[\"SKU\", 1]]}}'\n"
              f"# counters: curl {fakes[0].url}/_fake/stats  (likewise {fakes[1].url}, {fakes[2].url})\n"
              "# Ctrl-C stops them.", file=sys.stderr, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

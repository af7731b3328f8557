"""`cortex-exporter` (also `python -m cortex_exporter`): argument parsing and dispatch only.

Exit status: 0 success, 1 the demo or check failed, 2 bad usage or an invalid config.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from auth import AuthError, infer_scope
from cortex_exporter.cli.origins import Origins
from cortex_exporter.collector import DEFAULT_EXPORTER, read_collector_config, warn_unused
from cortex_exporter.config import Config
from cortex_exporter.environment import ENV_CONFIG, ENV_ENDPOINT, ENV_PREFIX, config_from_environ
from cortex_exporter.loading import load_config
from upstream_prw.errors import ConfigError
from upstream_prw.version import __version__

__all__ = ["build_parser", "main"]

_PROG = "cortex-exporter"


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def _add_target(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--config", metavar="FILE", help="YAML config file (see README)")
    group.add_argument(
        "--collector-config",
        metavar="FILE",
        help="an OpenTelemetry Collector YAML file: its prometheusremotewrite exporter",
    )
    group.add_argument("--endpoint", metavar="URL", help="remote-write URL, instead of --config")
    parser.add_argument(
        "--exporter",
        metavar="NAME",
        help="with --collector-config: the exporter to use, e.g. prometheusremotewrite/amp",
    )
    parser.add_argument(
        "--region", help="with --endpoint: sign for this AWS region (implies --aws-auth)"
    )
    parser.add_argument(
        "--aws-auth",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="with --endpoint: SigV4-sign requests (default: on for AMP endpoints)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="OpenTelemetry metrics to Prometheus remote write, SigV4-signed for AMP.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="export demo metrics through the signed path and show what arrives",
        description="Without a target: a local receiver checks every SigV4 signature "
        "(demo credentials, your AWS configuration is not read). With --config or "
        "--endpoint: send the same metrics to that backend with your real credentials.",
    )
    _add_target(demo)
    demo.add_argument("--duration", type=_positive, default=5.0, help="seconds (default 5)")
    demo.add_argument(
        "--interval", type=_positive, default=1.0, help="seconds between exports (default 1)"
    )

    check = commands.add_parser(
        "check",
        help="validate a config, resolve credentials, send one probe and explain the answer",
    )
    _add_target(check)
    check.add_argument(
        "--query-url",
        metavar="URL",
        help="read the probe back through this query API (Prometheus-compatible, e.g. "
        "http://host:9090 or the AMP workspace URL)",
    )
    check.add_argument(
        "--query-timeout",
        type=_positive,
        default=30.0,
        help="seconds to wait for the probe to be readable (default 30)",
    )
    check.add_argument(
        "--dry-run", action="store_true", help="print the signed request instead of sending it"
    )
    check.add_argument(
        "--verbose", action="store_true", help="log the SigV4 canonical request (no secrets)"
    )

    receive = commands.add_parser(
        "receive", help="run a remote-write receiver that prints what arrives"
    )
    receive.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    receive.add_argument("--port", type=int, default=19291, help="default 19291; 0 picks one")
    receive.add_argument("--access-key-id", help="verify SigV4 signatures made with this key")
    receive.add_argument("--secret-access-key", help="the secret of --access-key-id")
    receive.add_argument("--region", help="with a key: require this signing region")
    receive.add_argument("--duration", type=_positive, help="stop after this many seconds")
    receive.add_argument("--verbose", action="store_true", help="print every series")
    return parser


def _target(args: argparse.Namespace) -> tuple[Config, str, Origins]:
    """The config the target options describe, where it came from, and how its settings
    were spelt (a file's keys, options, variables, a Collector file's keys)."""
    if args.config:
        return load_config(args.config), args.config, Origins.yaml()
    if args.collector_config:
        exporter = args.exporter or DEFAULT_EXPORTER
        read = read_collector_config(args.collector_config, exporter)
        warn_unused(args.collector_config, read)
        source = f"{args.collector_config} ({read.exporter_path})"
        return read.config, source, Origins.collector(read.origins, read.exporter_path)
    if args.endpoint is None:
        return config_from_environ(), f"{ENV_PREFIX}* variables", Origins.environment(os.environ)
    sign = args.aws_auth
    if sign is None:
        sign = bool(args.region) or infer_scope(args.endpoint) is not None
    data: dict[str, Any] = {"endpoint": args.endpoint}
    if sign:
        data["aws_auth"] = {"enabled": True, "region": args.region or ""}
    return Config.from_mapping(data), "--endpoint", Origins.flags()


@contextmanager
def _logging(verbose: bool) -> Iterator[None]:
    """Warnings to stderr; with --verbose, the SigV4 steps too (auth never logs secrets)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    signing = logging.getLogger("auth.signing")
    before = signing.level
    if verbose:  # records propagate to the root's handlers whatever the root's own level
        signing.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        signing.setLevel(before)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    out = sys.stdout
    endpoint_only = args.command != "receive" and args.endpoint is None
    if endpoint_only and (args.region is not None or args.aws_auth is not None):
        parser.error("--region and --aws-auth go with --endpoint (put them in the --config file)")
    if args.command != "receive" and args.exporter and not args.collector_config:
        parser.error("--exporter goes with --collector-config")
    if args.command == "receive":
        from cortex_exporter.cli.receive import run_receive

        if bool(args.access_key_id) != bool(args.secret_access_key):
            parser.error("--access-key-id and --secret-access-key go together")
        secrets = {args.access_key_id: args.secret_access_key} if args.access_key_id else {}
        return run_receive(
            out,
            host=args.host,
            port=args.port,
            secrets=secrets,
            region=args.region,
            duration=args.duration,
            verbose=args.verbose,
        )
    if args.command == "demo":
        from cortex_exporter.cli.demo import Timing, run_demo, run_demo_remote

        timing = Timing(duration=args.duration, interval=args.interval)
        if args.config is None and args.endpoint is None and args.collector_config is None:
            return run_demo(out, timing)
        config, source, _ = _target(args)
        return run_demo_remote(config, out, timing, source=source)
    from cortex_exporter.cli.check import run_check

    targets = (args.config, args.collector_config, args.endpoint)
    if all(t is None for t in targets) and not any(n.startswith(ENV_PREFIX) for n in os.environ):
        parser.error(
            "check needs --config, --collector-config or --endpoint, or the "
            f"{ENV_ENDPOINT} / {ENV_CONFIG} variables opentelemetry-instrument reads"
        )
    if args.query_url is not None and args.dry_run:
        parser.error("--query-url reads back what was sent; it cannot go with --dry-run")
    config, source, origins = _target(args)
    return run_check(
        config,
        out,
        source=source,
        dry_run=args.dry_run,
        origins=origins,
        query_url=args.query_url,
        query_timeout=args.query_timeout,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _logging(args.command == "check" and args.verbose):
            return _run(parser, args)
    except ConfigError as error:
        named = getattr(args, "config", None) or getattr(args, "collector_config", None)
        where = f" {named}" if named else ""
        print(f"{_PROG}: invalid config{where}: {error}", file=sys.stderr)
        return 2
    except AuthError as error:  # no region to sign for
        print(f"{_PROG}: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # e.g. the receiver's port is taken
        print(f"{_PROG}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130

"""``workbench serve MODEL_OR_PROJECT``: the model behind Rasa's HTTP API.

Exit status: 0 after a graceful stop (SIGTERM / Ctrl-C), 2 when the model cannot be
loaded (the message says why) or the address cannot be used.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

EXIT_OK, EXIT_USAGE = 0, 2


def register(subparsers: Any) -> None:
    """Add the ``serve`` command."""
    serve = subparsers.add_parser(
        "serve", help="serve a model over HTTP with Rasa's API (POST /model/parse)",
        description="Serve MODEL_OR_PROJECT (a model folder, or a project: its active "
        "model) with Rasa's HTTP API: POST /model/parse, GET /status, GET /version, "
        "PUT /model. One access-log line per request goes to stderr; SIGTERM or "
        "Ctrl-C stops it after the requests in flight.",
    )
    serve.add_argument("model", metavar="MODEL_OR_PROJECT",
                       help="model folder written by `workbench train`, or a project")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this machine "
                       "only; 0.0.0.0 opens it to the network)")
    serve.add_argument("--port", type=int, default=5005, help="default 5005 (Rasa's)")
    serve.add_argument("--auth-token", metavar="T", default=None,
                       help="require ?token=T on every endpoint but / and /version "
                       "(as Rasa's --auth-token)")
    serve.add_argument("--workers", type=int, default=0, metavar="N",
                       help="threads parsing at once (default: the CPU cores less one, "
                       "at least one); each parse uses one torch thread")
    serve.add_argument("--max-batch", type=int, default=16, metavar="B",
                       help="requests waiting together are parsed in one forward "
                       "pass, up to B (default 16; 1: never batch, every answer "
                       "bit-identical to `workbench parse`)")
    serve.add_argument("--timeout", type=float, default=10.0, metavar="S",
                       help="seconds a client gets to send a request body "
                       "(default 10); idle connections close after 15 s")
    serve.add_argument("--quiet", action="store_true", help="no access log")
    serve.set_defaults(func=run_serve)


def _error(message: str) -> int:
    print(f"workbench: error: {message}", file=sys.stderr)
    return EXIT_USAGE


LOGGERS = ("workbench.serve", "aiohttp.server")


def _configure_logging(quiet: bool) -> logging.Handler:
    """Log lines (and, unless quiet, one access line per request) to stderr; returns
    the handler for :func:`_unconfigure_logging`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    logging.getLogger("workbench.serve.access").setLevel(
        logging.WARNING if quiet else logging.INFO)
    return handler


def _unconfigure_logging(handler: logging.Handler) -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.removeHandler(handler)
        logger.propagate = True
    logging.getLogger("workbench.serve.access").setLevel(logging.NOTSET)


def run_serve(args: Any) -> int:
    """Load the model, listen, serve until SIGTERM/SIGINT."""
    if not 0 <= args.port <= 65535:
        return _error(f"--port {args.port}: give a port from 0 to 65535")
    if args.workers < 0 or args.workers > 256:
        return _error(f"--workers {args.workers}: give 1 to 256 "
                      "(0: the cores less one)")
    if not 1 <= args.max_batch <= 256:
        return _error(f"--max-batch {args.max_batch}: give 1 to 256")
    if not args.timeout > 0:
        return _error(f"--timeout {args.timeout}: give a positive number of seconds")
    if args.auth_token is not None and not args.auth_token:
        return _error("--auth-token is empty: give a token, or leave the option out")

    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.auth_token:
        print(f"warning: --host {args.host} opens the server to other machines "
              "without --auth-token: anyone who can reach it can parse and swap "
              "models (PUT /model)", file=sys.stderr)
    from workbench.nlu.artefacts import ArtefactError
    from workbench.serving.model_slot import ModelSlot, load_served
    from workbench.serving.server import ModelServer, ServeConfig, serve_forever

    try:
        served = load_served(args.model)
    except ArtefactError as error:
        return _error(str(error))
    handler = _configure_logging(args.quiet)
    config = ServeConfig(host=args.host, port=args.port, auth_token=args.auth_token,
                         workers=args.workers, max_batch=args.max_batch,
                         body_timeout=args.timeout)
    server = ModelServer(ModelSlot(served), config)

    def ready(server: ModelServer) -> None:
        print(f"Serving {served.path} at {server.url} ({config.worker_count()} "
              f"parse threads){'; token required' if args.auth_token else ''}. "
              f"Try: curl -s {server.url}/model/parse -d '{{\"text\": \"hello\"}}'",
              file=sys.stderr, flush=True)

    try:
        serve_forever(server, ready)
    except OSError as error:
        reason = error.strerror or str(error)
        return _error(f"{args.host}:{args.port}: cannot listen ({reason}); choose "
                      "another --port or --host")
    finally:
        _unconfigure_logging(handler)
    print("stopped", file=sys.stderr)
    return EXIT_OK

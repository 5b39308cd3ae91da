"""``workbench serve``: a trained model behind Rasa's HTTP API (no Qt here).

Endpoints, in Rasa 3.x's shapes: ``POST /model/parse``, ``GET /status``,
``GET /version``, ``PUT /model`` (swap models without dropping requests in flight) and
``GET /`` (a hello line). ``--auth-token`` works as Rasa's ``?token=``.

HTTP stack: **aiohttp** (``aiohttp.web``'s low-level server). Why:

* well kept (aio-libs, releases every few weeks, security fixes backported) and fast:
  the HTTP parser is llhttp in C, the same parser as Node.js, and one asyncio event
  loop holds thousands of idle or slow connections without a thread each;
* the hostile-input limits are built in and tested upstream: request line / header
  size and count limits, a body size limit (``client_max_size``), and a keep-alive
  timer that starts at connect, so a client that sends half a request and stops is
  dropped (our body read has its own deadline on top);
* one dependency family (no ASGI server + framework pair, as uvicorn + Starlette would
  be), and its client drives the load benchmark.

The event loop is **uvloop**'s (libuv, the loop under Node.js) where it is installed
(every platform but Windows), else asyncio's own: it cut the loop's CPU per request
from ~0.19 to ~0.14 ms at 8 clients (docs/benchmarks.md, "Serving side by side with
Rasa").

Workers are **threads**, not processes: a parse runs on a pool of ``--workers`` threads
while the event loop keeps reading requests. Each single-message prediction runs on one
torch intra-op thread behind :data:`workbench.nlu.intra_op.GATE`, and torch releases
the GIL inside its ops, so N threads use N cores without fighting over them. Processes
would load the model N times and make ``PUT /model`` a cross-process protocol; a swap
here is loading the new model fully and then replacing one reference, so requests in
flight finish on the model they started with.

Modules: :mod:`.protocol` (request checks and Rasa-shaped JSON errors, no aiohttp),
:mod:`.model_slot` (the served model and its swap), :mod:`.app` (the HTTP handlers),
:mod:`.server` (start/stop in the foreground with SIGTERM, or in a background thread).
"""

"""Runs the tracker CLI after waiting for a common start time (test aid for races).

Imports the whole deploy path first, so that every process reaches its first
AWS call at nearly the same instant: `python barrier_python.py START_EPOCH ARGS...`.
"""

import sys
import time

import tracker.cli
import tracker.deployments  # noqa: F401 - warm the import before the start line
from tracker.aws import Clients

import os

_c = Clients()
_c.dynamodb  # noqa: B018 - create the client before the start line too
if os.environ.get("DEBUG_RETRY"):
    import tracker.aws as _a

    _orig = _a.Clients._make

    def _make(self, service):
        client = _orig(self, service)

        def log(**kw):
            print(
                f"RETRY-EVENT {kw.get('event_name')} attempts={kw.get('attempts')} resp={str(kw.get('response'))[:200]} exc={kw.get('caught_exception')!r}",
                file=sys.stderr,
            )

        client.meta.events.register("needs-retry.*", log)
        return client

    _a.Clients._make = _make
start = float(sys.argv[1])
time.sleep(max(0.0, start - time.time()))
sys.argv = ["tracker", *sys.argv[2:]]
tracker.cli.main()

"""The local AWS emulator: one moto server on loopback, for the tests, the benchmarks and the demo.

One implementation, hosted two ways: in-process on a thread (:class:`SerializedMotoServer`,
the test session and the benchmarks), or as its own process (``python -m
tests.support.emulator start|stop|serve``: ``make demo``, ``make emulator``, and tests that
need process-wide moto settings such as IAM enforcement).

It processes one request at a time. moto's DynamoDB is not thread-safe:
TransactWriteItems rolls back a failed transaction by restoring a deep copy of
the whole table taken when it started, which, with requests served
concurrently, can resurrect or erase the writes of other transactions. Real
DynamoDB is atomic per request; serialising requests (while still accepting
connections concurrently) gives the tests exactly that model, and the races
between our processes still interleave at request granularity, which is where
the tracker's own races live.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REGION = "eu-west-1"
# What points the AWS SDKs and the Terraform provider at the emulator.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
FOREIGN = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE")


def aws_environment(endpoint: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, **CREDENTIALS}


class SerializedMotoServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        app = DomainDispatcherApplication(create_backend_app)
        lock = threading.Lock()

        def serialized(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            with lock:
                return list(app(environ, start_response))

        self._server = make_server(host, port, serialized, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def in_process() -> Iterator[str]:
    """A server on a free port, and os.environ pointing every client (and child process) at it."""
    server = SerializedMotoServer()
    server.start()
    saved = dict(os.environ)
    for key in FOREIGN:
        os.environ.pop(key, None)
    os.environ.update(aws_environment(server.endpoint))
    try:
        yield server.endpoint
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()


def reset(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).read()


def reachable(endpoint: str) -> bool:
    try:
        urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).read()
        return True
    except (urllib.error.URLError, OSError):
        return False


def spawn(port: int, log: Path | None = None, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """The server as its own process on ``port``; returns once it answers."""
    output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - handed to the child
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.emulator", "serve", "--port", str(port)],
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=Path(__file__).resolve().parents[2],
        env=env,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not reachable(endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the emulator did not start on {endpoint}" + (f"; see {log}" if log else ""))
        time.sleep(0.1)
    return process


def _start(port: int, state: Path) -> int:
    pid_file = state / "emulator.pid"
    endpoint = f"http://127.0.0.1:{port}"
    if reachable(endpoint):
        print(f"emulator: something already answers on {endpoint}; using it")
        return 0
    state.mkdir(parents=True, exist_ok=True)
    process = spawn(port, state / "emulator.log")
    pid_file.write_text(str(process.pid))
    print(f"emulator: moto server on {endpoint} (pid {process.pid}; stop it with `make down`)")
    return 0


def _stop(state: Path) -> int:
    pid_file = state / "emulator.pid"
    try:
        pid = int(pid_file.read_text())
        os.killpg(pid, signal.SIGTERM)
    except (OSError, ValueError):
        print("emulator: not running")
        pid_file.unlink(missing_ok=True)
        return 0
    # Say "stopped" only once the process group is gone (SIGKILL after 10 s).
    deadline = time.monotonic() + 10
    while _alive(pid):
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
        time.sleep(0.05)
    print(f"emulator: stopped (pid {pid})")
    pid_file.unlink(missing_ok=True)
    return 0


def _alive(pid: int) -> bool:
    """Whether any process of the group ``pid`` is left (not reaped zombies: /proc says Z)."""
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def main() -> int:
    parser = argparse.ArgumentParser(description="The local AWS emulator (a test and demo aid).")
    parser.add_argument("action", choices=["start", "stop", "serve"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("EMULATOR_PORT", "4566")))
    parser.add_argument("--state", type=Path, default=Path(".demo"), help="Where the pid and log go.")
    args = parser.parse_args()
    if args.action == "start":
        return _start(args.port, args.state)
    if args.action == "stop":
        return _stop(args.state)
    server = SerializedMotoServer(port=args.port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.start()
    server._thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())

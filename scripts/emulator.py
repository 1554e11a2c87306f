#!/usr/bin/env python3
"""Start or stop the local AWS emulator (moto server on loopback) for `make demo`.

    emulator.py start [--port 4566]   # records the pid in .demo/emulator.pid
    emulator.py stop                  # stops it (also run by `make down`)

A local test/demo aid only: real use points the same commands at real AWS.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

STATE = Path(__file__).resolve().parent.parent / ".demo"
PID_FILE = STATE / "emulator.pid"


def running_pid() -> int | None:
    try:
        pid = int(PID_FILE.read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def reachable(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1).read()
        return True
    except (urllib.error.URLError, OSError):
        return False


def start(port: int) -> int:
    if running_pid():
        print(f"emulator already running (pid {running_pid()}) on port {port}")
        return 0
    if reachable(port):
        print(f"error: something else already listens on 127.0.0.1:{port}", file=sys.stderr)
        return 1
    STATE.mkdir(exist_ok=True)
    log = open(STATE / "emulator.log", "wb")  # noqa: SIM115 - handed to the child process
    moto = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    PID_FILE.write_text(str(process.pid))
    for _ in range(100):
        if reachable(port):
            print(f"emulator: moto server on http://127.0.0.1:{port} (pid {process.pid})")
            return 0
        if process.poll() is not None:
            break
        time.sleep(0.1)
    print(f"error: emulator did not start; see {STATE / 'emulator.log'}", file=sys.stderr)
    return 1


def stop() -> int:
    pid = running_pid()
    if pid is None:
        print("emulator: not running")
    else:
        os.killpg(pid, signal.SIGTERM)
        print(f"emulator: stopped (pid {pid})")
    PID_FILE.unlink(missing_ok=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Local AWS emulator for the demo.")
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("EMULATOR_PORT", "4566")))
    args = parser.parse_args()
    return start(args.port) if args.action == "start" else stop()


if __name__ == "__main__":
    sys.exit(main())

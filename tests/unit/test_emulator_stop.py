"""`make down` / the end of `make demo`: "emulator: stopped" is printed only once the server is gone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def emulator(action: str, port: int, state: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.emulator", action, "--port", str(port), "--state", str(state)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_stop_returns_after_the_server_process_has_exited(tmp_path: Path) -> None:
    port = free_port()
    emulator("start", port, tmp_path)
    pid = int((tmp_path / "emulator.pid").read_text())
    out = emulator("stop", port, tmp_path)
    assert out.strip() == f"emulator: stopped (pid {pid})"
    # At the moment "stopped" is printed, no process of the group is left and the port is free.
    try:
        os.killpg(pid, 0)
        left = (
            Path(f"/proc/{pid}/stat").exists()
            and "Z" not in Path(f"/proc/{pid}/stat").read_text().split(")")[-1][:3]
        )
    except ProcessLookupError:
        left = False
    assert not left
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))
    assert emulator("stop", port, tmp_path).strip() == "emulator: not running"

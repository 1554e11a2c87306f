"""``python -m tracker`` and the ``tracker`` console script.

Terraform runs ``tracker terraform resolve`` on every plan and refresh: that
exact command line goes straight to the program, without importing click
(about 20 ms of a budget measured against ``import boto3`` itself). Any other
command line, ``tracker terraform resolve --help`` included, goes through
the CLI, whose ``resolve`` command calls the same function.

The program also switches off the cyclic garbage collector for its short
life (well under a second, a few MB): with the tracker's modules loaded,
collections triggered while botocore loads its service models cost about
35 ms, a tenth of the whole run (measured, docs/benchmarks.md).

Every command, once its output is written and flushed, leaves at once
(``os._exit``), skipping the interpreter's teardown: with boto3 loaded,
tearing down its modules and objects takes tens of milliseconds that a user,
a pipeline or Terraform (on every plan) would otherwise wait for. Nothing is
left to do by then: thread pools are joined, files closed, python-terraform's
var files removed when Terraform returns. An unexpected exception still
exits the ordinary way, with its traceback.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn


def main() -> None:
    if sys.argv[1:] == ["terraform", "resolve"]:
        import gc

        gc.disable()
        from tracker.terraform.programs import resolve_main

        resolve_main()
        _leave(0)
    from tracker.cli import main as cli_main

    try:
        cli_main()
    except SystemExit as done:
        _leave(done.code)


def _leave(code: object) -> NoReturn:
    """Exit with ``code`` (SystemExit's) once the output is flushed, without the interpreter's teardown."""
    status = code if isinstance(code, int) else 0 if code is None else 1
    try:
        if not isinstance(code, int | None):
            sys.stderr.write(f"{code}\n")
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe (tracker status | head -1): nothing more can be written anyway
        pass
    os._exit(status)


if __name__ == "__main__":
    main()

"""``python -m tracker`` and the ``tracker`` console script.

Terraform runs ``tracker terraform resolve`` on every plan and refresh: that
exact command line goes straight to the program, without importing click
(about 20 ms of a budget measured against ``import boto3`` itself). Any other
command line, ``tracker terraform resolve --help`` included, goes through
the CLI, whose ``resolve`` command calls the same function.

The program also switches off the cyclic garbage collector for its short
life (well under a second, a few MB): with the tracker's modules loaded,
collections triggered while botocore loads its service models cost about
35 ms, a tenth of the whole run (measured, docs/benchmarks.md). And once its
answer is written and flushed it leaves at once (``os._exit``), skipping the
interpreter's teardown: with boto3 loaded, tearing down its modules and
objects takes tens of milliseconds that Terraform would otherwise wait for on
every plan. Nothing is left to do by then (no threads, files or handlers);
an error exits the ordinary way.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    if sys.argv[1:] == ["terraform", "resolve"]:
        import gc

        gc.disable()
        from tracker.terraform.programs import resolve_main

        resolve_main()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    from tracker.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Terraform `local-exec` program: record a deployment from TRACKER_* variables.

Terraform calls it as `python record_deployment.py record` (the provisioner's
fixed `command`); every value comes from the environment, so nothing a user
typed is ever parsed by a shell.
"""

import sys

from tracker.tfprograms import record_main

if __name__ == "__main__":
    if sys.argv[1:] != ["record"]:
        sys.stderr.write("usage: record_deployment.py record  (values in TRACKER_* variables)\n")
        sys.exit(2)
    record_main()

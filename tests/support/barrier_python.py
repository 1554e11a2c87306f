"""Runs the tracker CLI after waiting for a common start time (test aid for races).

Imports the whole deploy path first, so that every process reaches its first
AWS call at nearly the same instant: `python barrier_python.py START_EPOCH ARGS...`.
"""

import sys
import time

import tracker.cli
import tracker.workflows.deployments  # noqa: F401 - warm the import before the start line

start = float(sys.argv[1])
time.sleep(max(0.0, start - time.time()))
sys.argv = ["tracker", *sys.argv[2:]]
tracker.cli.main()

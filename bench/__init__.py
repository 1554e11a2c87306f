"""Benchmarks of RFC 013 release & deployment tracking (issue 6); run ``bench/run.py``."""

#!/usr/bin/env python3
"""Terraform `external` data source program: resolve a release (see tracker.tfprograms)."""

from tracker.tfprograms import resolve_main

if __name__ == "__main__":
    resolve_main()

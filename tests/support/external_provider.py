#!/usr/bin/env python3
"""OFFLINE TEST/DEMO AID ONLY: a stand-in for the Terraform provider ``hashicorp/external``.

Real users get ``hashicorp/external`` from the Terraform Registry. This machine cannot reach it,
so ``tests/support/offline_terraform.py`` installs this file (through a ``#!/bin/sh`` launcher)
into a local filesystem mirror, for the tests and ``make demo`` only. It is never shipped.

It implements the ``external`` data source's protocol and the error contract the tracker's
module relies on, as the real provider (2.3.x) documents them:

* ``program``: a list of strings, null and empty elements dropped; the first is the executable
  (looked up in ``$PATH`` when it has no ``/``), the rest its arguments. No shell.
* ``query``: a map of strings, null values dropped, written to stdin as one JSON object.
* ``working_dir``: the program's working directory (default: Terraform's).
* The program must exit 0 and print a JSON object whose values are all strings: that becomes
  ``result``; ``id`` is ``"-"``. Otherwise the read fails with the real provider's summaries
  ("External Program Execution Failed" with the program's stderr and exit status,
  "External Program Lookup Failed", "Unexpected External Program Results").

Not reproduced (no test needs them): Go's exact quoting and JSON error wording, TRACE logging,
killing the program on StopProvider.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from tf.iface import Config, DataSource, Provider, ReadDataContext, State
from tf.runner import run_provider
from tf.schema import Attribute, Schema
from tf.types import List, Map, String
from tf.utils import Diagnostics

EXECUTION_FAILED = "External Program Execution Failed"
LOOKUP_FAILED = "External Program Lookup Failed"
BAD_RESULT = "Unexpected External Program Results"


class ExternalDataSource(DataSource):
    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    @classmethod
    def get_name(cls) -> str:
        return "external"

    @classmethod
    def get_schema(cls) -> Schema:
        return Schema(
            attributes=[
                Attribute("program", List(String()), required=True),
                Attribute("working_dir", String(), optional=True),
                Attribute("query", Map(String()), optional=True),
                Attribute("result", Map(String()), computed=True),
                Attribute("id", String(), computed=True),
            ]
        )

    def read(self, ctx: ReadDataContext, config: Config) -> State | None:
        diags = ctx.diagnostics
        program = [a for a in config.get("program") or [] if a]
        query = {k: v for k, v in (config.get("query") or {}).items() if v is not None}
        executable = shutil.which(program[0]) if program else None
        if executable is None:
            diags.add_error(LOOKUP_FAILED, f"Program: {program[:1]}: not found in $PATH", path=["program"])
            return None
        try:
            done = subprocess.run(
                [executable, *program[1:]],
                input=json.dumps(query, sort_keys=True).encode(),
                capture_output=True,
                cwd=config.get("working_dir") or None,
                check=False,
            )
        except OSError as error:
            diags.add_error(EXECUTION_FAILED, f"Program: {executable}\nState: {error}", path=["program"])
            return None
        if done.returncode != 0:
            stderr = done.stderr.decode("utf-8", "replace")
            detail = f"Program: {executable}\nError Message: {stderr}\nState: exit status {done.returncode}"
            diags.add_error(EXECUTION_FAILED, detail, path=["program"])
            return None
        result = _string_map(done.stdout)
        if result is None:
            detail = "Program output must be a JSON encoded map of string keys and string values."
            diags.add_error(BAD_RESULT, f"{detail}\nProgram: {executable}", path=["program"])
            return None
        return {
            "program": config.get("program"),
            "working_dir": config.get("working_dir"),
            "query": config.get("query"),
            "result": result,
            "id": "-",
        }


def _string_map(stdout: bytes) -> dict[str, str] | None:
    try:
        value = json.loads(stdout.decode("utf-8", "replace"))
    except ValueError:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        return None
    return value


class ExternalProvider(Provider):
    def get_model_prefix(self) -> str:
        return ""  # the data source's type name is the provider's name: "external"

    def get_provider_schema(self, diags: Diagnostics) -> Schema:
        return Schema()

    def full_name(self) -> str:
        return "registry.terraform.io/hashicorp/external"

    def validate_config(self, diags: Diagnostics, config: Config) -> None:
        pass

    def configure_provider(self, diags: Diagnostics, config: Config) -> None:
        pass

    def get_data_sources(self) -> list[type[DataSource]]:
        return [ExternalDataSource]

    def get_resources(self) -> list:
        return []


if __name__ == "__main__":
    if not os.environ.get("TF_PLUGIN_MAGIC_COOKIE"):
        sys.exit("This is a Terraform provider plugin (an offline test stand-in); Terraform runs it.")
    run_provider(ExternalProvider(), sys.argv)

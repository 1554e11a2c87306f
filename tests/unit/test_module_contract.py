"""What the Terraform modules and the package say about each other, held together without Terraform."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import REPO
from tracker.terraform.programs import QUERY_KEYS

MODULE = REPO / "modules" / "release-deployment"


def test_the_module_readmes_tables_are_generated_from_the_tf_files() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "module_docs.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_the_resolve_program_knows_exactly_the_query_keys_the_module_sends() -> None:
    main = (MODULE / "main.tf").read_text()
    query = main.split("query = {", 1)[1].split("\n  }", 1)[0]
    sent = set(re.findall(r"^\s+([a-z_]+)\s+=", query, re.M))
    assert sent == QUERY_KEYS


def test_the_recorder_reads_exactly_the_variables_the_module_sets() -> None:
    main = (MODULE / "main.tf").read_text()
    environment = main.split("environment = {", 1)[1].split("} : name => value", 1)[0]
    set_by_module = set(re.findall(r"^\s+(TRACKER_[A-Z_]+)\s+=", environment, re.M))
    programs = (REPO / "tracker" / "terraform" / "programs.py").read_text()
    settings = (REPO / "tracker" / "settings.py").read_text()
    read = set(re.findall(r'"(TRACKER_[A-Z_]+)"', programs + settings))
    assert set_by_module <= read, set_by_module - read

"""Fixtures of the Terraform tier: the package as users get it, built once for the session.

The wheel and its virtualenv serve the own-stack tests and the benchmark's
smoke run alike (building them takes about ten seconds).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.packaging import build_wheel, install


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with only the wheel (and its dependencies) installed: its bin directory."""
    return install(wheel, tmp_path_factory.mktemp("venv"))

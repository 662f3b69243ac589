"""The one way a test is skipped: something the README's test set-up installs is missing.

`missing(what)` skips locally, with the reason, and fails under CI=true, where everything the
set-up installs must be there (a CI run that skips is a CI run that checks less than it says).
`need_tool` and `need_module` are the usual cases.

The hook below backs this up for any skip made another way (a skipif marker, importorskip,
a bare pytest.skip): under CI=true it is reported as a failure. tests/conftest.py installs it;
tests/test_guard.py checks both, and that no test file skips except through this module.
"""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType
from typing import NoReturn

import pytest


def under_ci() -> bool:
    return os.environ.get("CI") == "true"


def missing(what: str) -> NoReturn:
    if under_ci():
        pytest.fail(f"{what}; required under CI=true")
    pytest.skip(what)


def need_tool(tool: str, install: str) -> str:
    """The path of a program on PATH, e.g. need_tool("bibtex", "apt-get install texlive-binaries")."""
    return shutil.which(tool) or missing(f"{tool} not installed ({install})")


def need_module(name: str, install: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(f"python package {name} not installed ({install})")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and under_ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where no test may be skipped: {reason}"

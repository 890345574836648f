# The interop suite: real libraries against real services, in goroutines, with gonet.patch on.
#
# Patching is scoped to each test module (a module-scoped autouse fixture), so no patch leaks
# into other test folders; the libraries are first imported under the patch, as an application
# that patches first imports them. The probes and the concurrency harness are in
# interop_helpers.py.
from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator

import pytest

from gonet import patch

LIBRARIES = (
    "redis",
    "psycopg",
    "pg8000.native",
    "pymysql",
    "requests",
    "urllib.request",
    "smtplib",
    "paho.mqtt.client",
    "pika",
)


# Libraries that bind what the patch replaces (ssl.SSLContext, ...) when they are imported. The
# whole suite runs in one process and other folders import them first (tests/http uses requests
# in plain threads), so here they are imported afresh under the patch and put back afterwards.
FRESH = ("requests", "urllib3")


@pytest.fixture(scope="module", autouse=True)
def _patched() -> Iterator[None]:
    earlier = {k: m for k, m in sys.modules.items() if k.split(".", 1)[0] in FRESH}
    for k in earlier:
        del sys.modules[k]
    try:
        with patch.patched("socket", "ssl", "dns", "select", "time"):
            # Imported under the patch, as an application that patches first does; and before
            # any test's leak baseline, since some open files of their own on import.
            for name in LIBRARIES:
                importlib.import_module(name)
            yield
    finally:
        for k in [k for k in sys.modules if k.split(".", 1)[0] in FRESH]:
            del sys.modules[k]
        sys.modules.update(earlier)

"""The package declares its licence and ships its full text in the wheel."""
from __future__ import annotations

import hashlib
import sys

from conftest import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

# https://www.apache.org/licenses/LICENSE-2.0.txt, byte for byte (as Debian's
# /usr/share/common-licenses/Apache-2.0): all nine sections and the APPENDIX.
APACHE_2_0_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"


def test_license_is_the_full_apache_2_0_text():
    text = (REPO / "LICENSE").read_bytes()
    assert hashlib.sha256(text).hexdigest() == APACHE_2_0_SHA256


def test_the_wheel_declares_and_ships_the_license():
    with open(REPO / "pyproject.toml", "rb") as handle:
        pyproject = tomllib.load(handle)
    project = pyproject["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    # license-files, and license as an SPDX expression, need PEP 639 support
    assert pyproject["build-system"]["requires"] == ["setuptools>=77"]

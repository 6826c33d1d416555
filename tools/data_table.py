"""What the generators of rules/data/*.toml share: TOML string quoting and the command line.

Each generator reads one upstream source file and writes one cited TOML table:

    python tools/gen_runtime_versions.py runtime_version.cc --source "repo@commit path" --out F
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable


def quote(text: str) -> str:
    """A TOML basic string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run(description: str, input_name: str, generate: Callable[[str, str, str], str]) -> None:
    """Parse the command line, then write generate(source text, citation, license)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("input", type=Path, help=f"path to {input_name}")
    parser.add_argument("--source", required=True,
                        help="where the file came from, cited: repo@commit path")
    parser.add_argument("--license", default="Apache-2.0", dest="license_name",
                        help="the upstream file's license (default: %(default)s)")
    parser.add_argument("--out", type=Path, required=True, help="TOML file to write")
    args = parser.parse_args()
    args.out.write_text(generate(args.input.read_text(), args.source, args.license_name))

"""Re-run the README's sample outputs: every fenced block that starts with `$ tfllint ...`.

    python tools/readme_samples.py          # rewrite README.md's samples with today's output
    python tools/readme_samples.py --check  # exit 1 if one is stale

Each command runs from the repository root as a user would see it in a 100-column terminal
without colour, and without a configuration file; tests/test_readme.py keeps README.md in
step.
"""
from __future__ import annotations

import argparse
import io
import os
import re
import shlex
import sys
from contextlib import redirect_stdout
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = re.compile(r"^```\n\$ (tfllint [^\n]*)\n(.*?)^```$", re.S | re.M)


def samples(readme: str) -> list[tuple[str, str]]:
    """(command, the output the README shows) for every sample."""
    return [(match[1], match[2]) for match in SAMPLE.finditer(readme)]


def run(command: str) -> str:
    """What `command` prints today, as the README shows it."""
    from tfllint.cli import main

    saved = {name: os.environ.get(name) for name in ("COLUMNS", "NO_COLOR", "FORCE_COLOR")}
    os.environ.update(COLUMNS="100", NO_COLOR="1")
    os.environ.pop("FORCE_COLOR", None)
    output, directory = io.StringIO(), os.getcwd()
    try:
        os.chdir(REPO)
        with redirect_stdout(output):
            main([*shlex.split(command)[1:], "--no-config"])
    finally:
        os.chdir(directory)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return output.getvalue()


def refreshed(readme: str) -> str:
    return SAMPLE.sub(lambda match: f"```\n$ {match[1]}\n{run(match[1])}```", readme)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a sample is stale")
    options = parser.parse_args()
    path = REPO / "README.md"
    readme = path.read_text()
    updated = refreshed(readme)
    if options.check:
        return int(updated != readme)
    path.write_text(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())

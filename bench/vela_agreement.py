"""tfllint's Ethos-U verdicts beside Vela's, per accelerator and per model, for a person.

    python bench/vela_agreement.py              # one line per accelerator
    python bench/vela_agreement.py --per-model  # and one line per model Vela compiled

The figures tests/test_vela_differential.py checks (there as assertions, silently): ops
on which tfllint and Vela agree (NPU or CPU) over the models Vela compiled, how many models'
partition count equals the number of ethos-u ops Vela wrote, and the models Vela refused.
Needs ethos-u-vela==5.2.0 (the `oracle` extra) and the `test` extra; takes about 5 s.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-model", action="store_true",
                        help="a line per model Vela compiled as well")
    arguments = parser.parse_args()
    if importlib.util.find_spec("ethosu") is None:
        print("ethos-u-vela is not installed: pip install ethos-u-vela==5.2.0",
              file=sys.stderr)
        return 2
    from test_vela_differential import agreement_lines, compare_with_vela

    with tempfile.TemporaryDirectory(prefix="vela-agreement-") as root:
        lines = agreement_lines(compare_with_vela(Path(root)), arguments.per_model)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The README's table of which rules fire on which sample model matches what tfllint does."""
from __future__ import annotations

import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "tools"))
import sample_findings_table  # noqa: E402


def test_readme_table_matches_the_sample_models():
    expected = sample_findings_table.table()
    assert sample_findings_table.readme_table() == expected, (
        "README.md's sample-findings table is stale: run "
        "`python tools/sample_findings_table.py` and paste its output")

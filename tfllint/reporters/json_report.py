"""--format json: the report as one JSON document (schema: docs/report.schema.json)."""
from __future__ import annotations

import json

from ..report import REPORT_VERSION
from . import RunResult


class JsonReporter:
    def render(self, run: RunResult) -> str:
        document = {"tool": "tfllint", "tool_version": run.tool_version,
                    "report_version": REPORT_VERSION, "fail_on": run.fail_on,
                    "models": run.reports, "summary": run.summary}
        return json.dumps(document, indent=2, allow_nan=False) + "\n"

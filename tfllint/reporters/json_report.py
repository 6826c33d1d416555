"""--format json: the report as one JSON document (schema: tfllint/report.schema.json)."""
from __future__ import annotations

import json

from . import Display, Report


class JsonReporter:
    def render(self, report: Report, display: Display | None = None) -> str:
        return json.dumps(report.to_json(), indent=2, allow_nan=False) + "\n"

"""Build the report of one model as plain data: the JSON contract of DESIGN.md.

Reporters render this structure; they never see a rule or the model itself. The JSON
shape is documented by tfllint/report.schema.json and its version is REPORT_VERSION.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any

from .analyses import Analyses
from .analyses.budget import Budget, memory_budget, run_arena_plan, weights_budget
from .analyses.contract import TensorContract
from .engine.rule import FAILURE, SEVERITY_RANK, Finding
from .records import as_dict
from .view import ModelView

# 3.0: a finding has `locations` (every place of its cause, each with a stable `key`)
# instead of one `location`; severity "failure" for a rule that raised; the summary
# counts failures and names the models that failed.
REPORT_VERSION = "3.1"


def model_report(view: ModelView, analyses: Analyses, findings: list[Finding],
                 targets: dict[str, Any] | None = None) -> dict[str, Any]:
    contract = analyses.contract
    return {
        "path": view.path,
        "size_bytes": view.model.size_bytes,
        "error": None,
        "summary": _summary(view, analyses),
        "inputs": [tensor_entry(t) for t in contract.inputs],
        "outputs": [tensor_entry(t) for t in contract.outputs],
        "signatures": [
            {"key": s.key, "subgraph": s.subgraph,
             "inputs": [signature_entry(name, t) for name, t in s.inputs],
             "outputs": [signature_entry(name, t) for name, t in s.outputs]}
            for s in contract.signatures],
        "runtime": {
            "declared_min_version": analyses.runtime.declared_min_version,
            "required_min_version": analyses.runtime.required_text,
        },
        "memory": _memory(view, analyses),
        "targets": targets or {},
        "findings": [finding_entry(f) for f in findings],
    }


def error_report(path: str, size_bytes: int | None, message: str) -> dict[str, Any]:
    """The entry of a model that could not be read or linted."""
    return {"path": path, "size_bytes": size_bytes, "error": message, "summary": None,
            "inputs": [], "outputs": [], "signatures": [],
            "runtime": None, "memory": None, "targets": {}, "findings": []}


def tensor_entry(tensor: TensorContract) -> dict[str, Any]:
    return {
        "name": tensor.name,
        "index": tensor.index,
        "dtype": tensor.dtype,
        "shape": list(tensor.shape),
        "shape_signature": list(tensor.shape_signature),
        "quantization": {"scale": [json_number(s) for s in tensor.scales],
                         "zero_point": list(tensor.zero_points),
                         "quantized_dimension": tensor.quantized_dimension},
    }


def signature_entry(name: str, tensor: TensorContract) -> dict[str, Any]:
    """A signature's input or output: its signature name, and the tensor it names."""
    return {**tensor_entry(tensor), "name": name, "tensor": tensor.name}


def json_number(value: float) -> float | str:
    """The value, or "NaN" / "Infinity" / "-Infinity": strict JSON has no such numbers,
    and a corrupt or badly converted model can carry them."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def finding_entry(finding: Finding) -> dict[str, Any]:
    return {"rule": finding.rule, "name": finding.name, "severity": finding.severity,
            "message": finding.message,
            "locations": [as_dict(location) for location in finding.locations],
            "target": finding.target, "fix": finding.fix}


def _summary(view: ModelView, analyses: Analyses) -> dict[str, Any]:
    histogram = Counter(op.name for op in view.operators())
    quantization = analyses.quantization
    return {
        "schema_version": view.model.schema_version,
        "description": view.model.description,
        "subgraphs": len(view.subgraphs),
        "operators": sum(len(s.operators) for s in view.subgraphs),
        "tensors": sum(len(s.tensors) for s in view.subgraphs),
        "buffers": len(view.model.buffers),
        "op_histogram": dict(sorted(histogram.items(), key=lambda item: (-item[1], item[0]))),
        "quantization": {"scheme": quantization.scheme, "label": quantization.label,
                         "op_classes": dict(sorted(quantization.class_counts.items()))},
        "metadata": [entry.name for entry in view.model.metadata],
    }


def _memory(view: ModelView, analyses: Analyses) -> dict[str, Any]:
    """Sizes, the arena plan of the run's planner (timeline per op) and the budgets."""
    memory = analyses.memory
    largest = memory.largest_tensor
    plan = run_arena_plan(analyses)
    operators = view.main.operators if view.subgraphs else ()
    budget = memory_budget(analyses.settings)
    weights = weights_budget(analyses.settings)
    return {
        "weights_bytes": memory.weights_bytes,
        "arena_bytes": plan.total_bytes,
        "peak_op": plan.peak_op,
        "largest_tensor": None if largest is None else {
            "subgraph": largest.subgraph, "index": largest.index, "name": largest.name,
            "bytes": largest.bytes},
        "activation_bytes": list(memory.activation_bytes),
        "variable_bytes": memory.variable_bytes,
        "planner": plan.planner,
        "head_bytes": plan.head_bytes,
        "tail_bytes": plan.tail_bytes,
        "temp_bytes": plan.temp_bytes,
        "lower_bound": plan.lower_bound,
        "notes": list(plan.notes),
        "live_at_peak": [{"subgraph": t.subgraph, "index": t.index, "name": t.name,
                          "bytes": t.bytes} for t in plan.live_at_peak],
        # columns, not an object per op: a 10,000-op model's report stays small and quick
        "timeline": {"op": [op.name for op in operators[:len(plan.timeline)]],
                     "live_bytes": list(plan.timeline)},
        "memory_budget": _budget_entry(budget, plan.total_bytes),
        "weights_budget": _budget_entry(weights, memory.weights_bytes),
        # TFLM plans only: the figures of each build (word size), the one planned for first
        **({"tflm_builds": [{"word_size": b.word_size, "arena_bytes": b.total_bytes,
                             "head_bytes": b.head_bytes, "tail_bytes": b.tail_bytes,
                             "temp_bytes": b.temp_bytes} for b in plan.builds]}
           if plan.builds else {}),
    }


def _budget_entry(budget: Budget | None, used: int) -> dict[str, Any] | None:
    if budget is None:
        return None
    return {"bytes": budget.bytes, "source": budget.source, "target": budget.target,
            "headroom_bytes": budget.headroom(used)}


def targets_section(analyses: Analyses, targets: tuple[str, ...]) -> dict[str, Any]:
    """Per target: op verdicts with every reason, partitions and shares (DESIGN: targets)."""
    section = {}
    for name in targets:
        result = analyses.target(name)
        profile = result.profile
        section[profile.name] = {
            "title": profile.title,
            "describes": profile.describes,
            "runtime_path": profile.runtime_path,
            "cannot_know": list(profile.cannot_know),
            "ops_total": result.ops_total,
            "ops_on_target": result.ops_on_target,
            "macs_total": result.macs_total,
            "macs_on_target": result.macs_on_target,
            "partitions": result.partitions,
            "transitions": result.transitions,
            "can_run": not result.blocked,
            "compiled_for_target": result.compiled,
            "model_reasons": [reason_entry(r) for r in result.model_reasons],
            "summary": target_summary(result),
            "ops": [{"subgraph": v.subgraph, "op_index": v.op_index, "op": v.op,
                     "verdict": v.verdict, "macs": v.macs,
                     "reasons": [reason_entry(r) for r in v.reasons], "fix": v.fix}
                    for v in result.ops],
        }
    return section


def reason_entry(reason) -> dict[str, Any]:
    return {"code": reason.code, "message": reason.message, "tool": reason.tool,
            "fix": reason.fix}


def target_summary(result) -> str:
    """One line in the spirit of the real tool's own summary (profile messages.summary)."""
    share = result.ops_on_target / result.ops_total if result.ops_total else 0.0
    mac_share = result.macs_on_target / result.macs_total if result.macs_total else None
    values = {"on_target": result.ops_on_target, "total": result.ops_total,
              "off_target": result.ops_total - result.ops_on_target,
              "partitions": result.partitions, "transitions": result.transitions,
              "title": result.profile.title, "share": f"{share:.0%}",
              "mac_share": "n/a" if mac_share is None else f"{mac_share:.0%}"}
    template = result.profile.messages.get(
        "summary", "{on_target} of {total} ops run on {title} ({share} of ops, {mac_share} of "
                   "MACs) in {partitions} partition(s), {transitions} CPU<->target transitions")
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def failed(report: dict[str, Any], fail_on: str) -> bool:
    """Whether a model fails the run: unreadable, a rule failed on it, or a finding at
    or above `fail_on`."""
    if report["error"]:
        return True
    threshold = None if fail_on == "none" else SEVERITY_RANK[fail_on]
    return any(f["severity"] == FAILURE or (
        threshold is not None and SEVERITY_RANK[f["severity"]] >= threshold)
        for f in report["findings"])


def run_summary(reports: list[dict[str, Any]], fail_on: str = "error") -> dict[str, Any]:
    counts = Counter(f["severity"] for r in reports for f in r["findings"])
    return {"models": len(reports),
            "unreadable": sum(1 for r in reports if r["error"]),
            "findings": {severity: counts.get(severity, 0)
                         for severity in ("error", "warning", "info")},
            "rule_failures": counts.get(FAILURE, 0),
            "failed_models": [r["path"] for r in reports if failed(r, fail_on)]}


__all__ = ["model_report", "error_report", "run_summary", "failed", "REPORT_VERSION"]

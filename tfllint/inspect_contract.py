"""`tfllint inspect MODEL`: the input/output contract as a person or a program reads it."""
from __future__ import annotations

import json
from typing import Any

from tabulate import tabulate

from .analyses import Analyses
from .analyses.contract import TensorContract
from .report import json_number, tensor_entry
from .view import ModelView


def contract_document(view: ModelView, analyses: Analyses | None = None) -> dict[str, Any]:
    analyses = analyses or Analyses(view)
    contract = analyses.contract
    return {
        "path": view.path,
        "inputs": [tensor_entry(t) for t in contract.inputs],
        "outputs": [tensor_entry(t) for t in contract.outputs],
        "signatures": [
            {"key": s.key, "subgraph": s.subgraph,
             "inputs": [{"name": name, "tensor": t.name, "index": t.index} for name, t in s.inputs],
             "outputs": [{"name": name, "tensor": t.name, "index": t.index}
                         for name, t in s.outputs]}
            for s in contract.signatures],
        "runtime": {"declared_min_version": analyses.runtime.declared_min_version,
                    "required_min_version": analyses.runtime.required_text},
        "support_metadata": support_metadata_document(view, analyses),
    }


def support_metadata_document(view: ModelView, analyses: Analyses) -> dict[str, Any] | None:
    """TFLite Support metadata (normalization, labels) when the model carries it."""
    from .reader.support_metadata import read_associated_file_lines

    support = analyses.support_metadata
    if support.error is not None:
        return {"error": f"TFLite Support metadata is corrupt: {support.error}"}
    metadata, subgraph = support.metadata, support.main
    if metadata is None or subgraph is None:
        return None

    def numbers(values) -> list:
        return [json_number(value) for value in values]

    def tensors(entries) -> list[dict[str, Any]]:
        described = []
        for entry in entries:
            files = []
            for associated in entry.associated_files:
                lines = read_associated_file_lines(view.path, associated.name, max_lines=5)
                files.append({"name": associated.name, "type": associated.type,
                              "first_lines": list(lines.lines) if lines else None,
                              "line_count": lines.line_count if lines else None})
            described.append({
                "name": entry.name, "description": entry.description,
                "content": entry.content.kind if entry.content else None,
                "color_space": entry.content.color_space if entry.content else None,
                "normalization": None if entry.normalization is None else {
                    "mean": numbers(entry.normalization.mean),
                    "std": numbers(entry.normalization.std)},
                "value_range": None if entry.stats is None else {
                    "min": numbers(entry.stats.min), "max": numbers(entry.stats.max)},
                "associated_files": files})
        return described

    return {"name": metadata.name, "description": metadata.description,
            "version": metadata.version, "author": metadata.author,
            "license": metadata.license, "inputs": tensors(subgraph.inputs),
            "outputs": tensors(subgraph.outputs)}


def render_contract(path: str, output_format: str) -> str:
    from .pipeline import open_model

    view, analyses = open_model(path)
    document = contract_document(view, analyses)
    if output_format == "json":
        return json.dumps(document, indent=2, allow_nan=False) + "\n"
    contract = analyses.contract
    blocks = [f"{path}"]
    blocks.append(_tensor_table("inputs (interpreter order)", contract.inputs))
    blocks.append(_tensor_table("outputs (interpreter order)", contract.outputs))
    blocks.append(_quantization_notes(contract.inputs, contract.outputs))
    blocks.append(_signatures_text(document["signatures"]))
    blocks.append(_support_text(document["support_metadata"]))
    runtime = document["runtime"]
    blocks.append(f"runtime: needs >= {runtime['required_min_version'] or 'unknown'} "
                  f"(declared in the file: {runtime['declared_min_version'] or 'none'})")
    return "\n\n".join(block for block in blocks if block) + "\n"


def _tensor_table(title: str, tensors: tuple[TensorContract, ...]) -> str:
    rows = []
    for position, tensor in enumerate(tensors):
        rows.append([position, tensor.index, tensor.name or "<unnamed>", tensor.dtype,
                     list(tensor.shape), list(tensor.shape_signature),
                     _numbers(tensor.scales), _numbers(tensor.zero_points),
                     tensor.quantized_dimension if tensor.quantized else "-",
                     tensor.byte_size if tensor.byte_size is not None else "?"])
    table = tabulate(rows, headers=["#", "tensor", "name", "dtype", "shape", "shape_signature",
                                    "scale", "zero_point", "q.dim", "bytes"])
    return f"{title}:\n{table}"


def _numbers(values: tuple, limit: int = 4) -> str:
    if not values:
        return "-"
    shown = ", ".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in values[:limit])
    return shown + (f", ... ({len(values)})" if len(values) > limit else "")


def _quantization_notes(*groups: tuple[TensorContract, ...]) -> str:
    notes = []
    for tensors, direction in zip(groups, ("input", "output")):
        for tensor in tensors:
            formulas = tensor.formulas()
            if formulas:
                notes.append(f"{direction} '{tensor.name}': {formulas[0]};  {formulas[1]}")
            elif tensor.quantized:
                notes.append(f"{direction} '{tensor.name}': per-channel on dimension "
                             f"{tensor.quantized_dimension}: real = scale[c] * (q - zero_point[c])")
    return "quantization:\n  " + "\n  ".join(notes) if notes else ""


def _signatures_text(signatures: list[dict[str, Any]]) -> str:
    if not signatures:
        return "signatures: none (call the model by input position)"
    lines = ["signatures:"]
    for signature in signatures:
        lines.append(f"  '{signature['key']}' (subgraph {signature['subgraph']})")
        for direction in ("inputs", "outputs"):
            for entry in signature[direction]:
                lines.append(f"    {direction[:-1]:6} {entry['name']!r} -> tensor {entry['index']} "
                             f"'{entry['tensor']}'")
    return "\n".join(lines)


def _support_text(support: dict[str, Any] | None) -> str:
    if support is None:
        return "TFLite Support metadata: none (no normalization or labels recorded)"
    if "error" in support:
        return support["error"]
    lines = [f"TFLite Support metadata: {support['name'] or '(unnamed)'} "
             f"{support['version'] or ''}".rstrip()]
    for direction in ("inputs", "outputs"):
        for entry in support[direction]:
            parts = [f"  {direction[:-1]} '{entry['name']}'"]
            if entry["content"]:
                parts.append(entry["content"] + (f" {entry['color_space']}"
                                                 if entry["color_space"] else ""))
            if entry["normalization"]:
                parts.append(f"normalize (x - {entry['normalization']['mean']}) / "
                             f"{entry['normalization']['std']}")
            if entry["value_range"]:
                parts.append(f"range {entry['value_range']['min']}..{entry['value_range']['max']}")
            for associated in entry["associated_files"]:
                label = f"{associated['type']} {associated['name']}"
                if associated["first_lines"]:
                    label += f" ({associated['line_count']} lines: " + ", ".join(
                        associated["first_lines"]) + ", ...)"
                parts.append(label)
            lines.append("; ".join(parts))
    return "\n".join(lines)

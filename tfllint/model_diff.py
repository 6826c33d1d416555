"""`tfllint diff OLD NEW`: what changed between two versions of a model that matters for
deployment, and whether a change crosses a gate the user set (exit 1) so CI can hold back
a model update.

Both models go through the one lint pipeline (tfllint.pipeline.LintRun.lint_path, with the
same settings and targets); this module only compares the two report entries, and uses the
model views (seen through the pipeline's `visit` hook) to match ops by their tensor names.

Op matching (per subgraph index, the same in both models):
  1. by name: an op of the same type (the custom code for custom ops) writing outputs with
     the same tensor names; several such ops pair up in graph order;
  2. by position: the ops still unmatched pair up by type in graph order: the k-th unmatched
     op of a type in the old subgraph with the k-th unmatched op of that type in the new one;
  3. what is left is an op removed (old) or added (new).
A version raised, a verdict changed on a target, ... are read on matched pairs.

    >>> import tfllint
    >>> result = tfllint.diff("old.tflite", "new.tflite", target="coral",
    ...                       max_arena_growth="10%", no_new_fallback=True)
    >>> result.exit_code, result.document["contract"]["changed"]
"""
from __future__ import annotations

import os
from collections import Counter, defaultdict
from typing import Any

from . import __version__
from .errors import UsageError
from .pipeline import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, LintRun
from .records import field, record
from .sizes import parse_size

DIFF_VERSION = "1.0"
ON_TARGET = ("target", "compiled")  # verdicts of an op that runs on the target
IO_FIELDS = ("dtype", "shape", "shape_signature", "quantization")


# -- gates -------------------------------------------------------------------------------

@record
class Growth:
    """A growth limit: a share of the old figure (`10%`, `0.1`) or bytes (`16KiB`)."""

    written: str
    share: float | None = None
    bytes: int | None = None

    @classmethod
    def parse(cls, value: Any, option: str) -> Growth:
        text = str(value).strip()
        try:
            if text.endswith("%"):
                return cls(text, share=float(text[:-1]) / 100)
            if "." in text and not text[-1:].isalpha():
                return cls(text, share=float(text))  # 0.1 = 10%
            return cls(text, bytes=parse_size(text))
        except ValueError as error:
            raise UsageError(f"--{option} {text!r}: expected a share of the old figure "
                             f"(10% or 0.1) or a size (16KiB, 4096): {error}") from None

    def crossed(self, old: int | None, new: int | None) -> bool:
        if old is None or new is None or new <= old:
            return False
        if self.bytes is not None:
            return new - old > self.bytes
        return old == 0 or (new - old) / old > (self.share or 0.0)


@record
class Gates:
    max_arena_growth: Growth | None = None
    max_weights_growth: Growth | None = None
    no_new_fallback: bool = False
    no_contract_change: bool = False

    @classmethod
    def from_options(cls, max_arena_growth: Any = None, max_weights_growth: Any = None,
                     no_new_fallback: bool = False, no_contract_change: bool = False) -> Gates:
        return cls(Growth.parse(max_arena_growth, "max-arena-growth")
                   if max_arena_growth is not None else None,
                   Growth.parse(max_weights_growth, "max-weights-growth")
                   if max_weights_growth is not None else None,
                   bool(no_new_fallback), bool(no_contract_change))


# -- the result --------------------------------------------------------------------------

@record
class ModelDiff:
    """The comparison of two models: `document` is the --format json document."""

    document: dict[str, Any]
    notes: tuple[str, ...] = field(default=())

    @property
    def exit_code(self) -> int:
        return self.document["exit_code"]

    @property
    def changed(self) -> bool:
        return self.document["changed"]

    def to_json(self) -> dict[str, Any]:
        return self.document


def diff(old: str | os.PathLike, new: str | os.PathLike, *, config: str | None = None,
         use_config: bool = True, max_arena_growth: Any = None, max_weights_growth: Any = None,
         no_new_fallback: bool = False, no_contract_change: bool = False,
         **settings: Any) -> ModelDiff:
    """Compare two models linted with the same settings (`target`, `runtime_version`, ...
    as for tfllint.lint). The gates make exit_code 1 when crossed; 2 when a model cannot be
    read."""
    gates = Gates.from_options(max_arena_growth, max_weights_growth, no_new_fallback,
                               no_contract_change)
    run = LintRun.load({key.replace("_", "-"): value for key, value in settings.items()},
                       config=config, use_config=use_config, source="tfllint.diff()")
    return diff_with_run(run, os.fspath(old), os.fspath(new), gates)


def diff_with_run(run: LintRun, old_path: str, new_path: str, gates: Gates) -> ModelDiff:
    views: dict[str, Any] = {}
    reports = []
    for side, path in (("old", old_path), ("new", new_path)):
        problem = None if os.path.isfile(path) else (
            "is a directory; diff compares two model files" if os.path.isdir(path)
            else "no such file or directory")
        reports.append(run.lint_path(path, problem,
                                     visit=lambda view, _analyses, side=side:
                                     views.__setitem__(side, view)))
    return ModelDiff(compare(reports[0], reports[1], views.get("old"), views.get("new"),
                             gates), run.notes)


def compare(old: dict[str, Any], new: dict[str, Any], old_view: Any, new_view: Any,
            gates: Gates) -> dict[str, Any]:
    """The diff document of two report entries (the JSON contract's model entries)."""
    document: dict[str, Any] = {
        "tool": "tfllint", "tool_version": __version__, "diff_version": DIFF_VERSION,
        "old": _side(old), "new": _side(new)}
    if old["error"] is not None or new["error"] is not None:
        document.update(changed=None, gates=[], exit_code=EXIT_ERROR)
        return document
    pairs, added, removed = match_ops(old_view, new_view)
    contract = compare_contract(old, new)
    ops = compare_ops(old, new, pairs, added, removed, old_view, new_view)
    runtime = _change(old["runtime"]["required_min_version"],
                      new["runtime"]["required_min_version"])
    runtime["raised"] = _version_key(runtime["new"]) > _version_key(runtime["old"])
    quantization = _change(old["summary"]["quantization"]["scheme"],
                           new["summary"]["quantization"]["scheme"])
    quantization["labels"] = [old["summary"]["quantization"].get("label"),
                              new["summary"]["quantization"].get("label")]
    memory = {key: _growth(old["memory"].get(key), new["memory"].get(key))
              for key in ("weights_bytes", "arena_bytes")}
    targets = compare_targets(old, new, pairs, added)
    findings = compare_findings(old, new)
    changed = bool(contract["changed"] or ops["added"] or ops["removed"] or ops["versions"]
                   or ops["histogram"] or runtime["changed"] or quantization["changed"]
                   or any(m["delta"] for m in memory.values())
                   or any(t["changed"] for t in targets.values())
                   or findings["new"] or findings["gone"])
    document.update(changed=changed, contract=contract, ops=ops, runtime=runtime,
                    quantization=quantization, memory=memory, targets=targets,
                    findings=findings)
    document["gates"] = check_gates(document, gates)
    document["exit_code"] = EXIT_FINDINGS if any(g["crossed"] for g in document["gates"]) \
        else EXIT_CLEAN
    return document


def _side(report: dict[str, Any]) -> dict[str, Any]:
    return {"path": report["path"], "size_bytes": report["size_bytes"],
            "error": report["error"]}


def _change(old: Any, new: Any) -> dict[str, Any]:
    return {"old": old, "new": new, "changed": old != new}


def _growth(old: int | None, new: int | None) -> dict[str, Any]:
    delta = None if old is None or new is None else new - old
    growth = None if delta is None or not old else round(delta / old, 6)
    return {"old": old, "new": new, "delta": delta, "growth": growth}


def _version_key(version: str | None) -> tuple[int, ...]:
    parts = []
    for part in (version or "0").split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


# -- op matching -------------------------------------------------------------------------

def op_ref(view: Any, op: Any) -> dict[str, Any]:
    """An op as the diff names it: indices, type, version, and the stable key of findings
    (op type and first output tensor name)."""
    tensors = view.subgraphs[op.subgraph].tensors
    names = [tensors[i].name if 0 <= i < len(tensors) else "" for i in op.outputs]
    return {"subgraph": op.subgraph, "op_index": op.index, "op": op.name,
            "version": op.opcode.version, "key": f"{op.name}:{names[0]}" if names else op.name}


def _output_names(view: Any, op: Any) -> tuple[str, ...]:
    tensors = view.subgraphs[op.subgraph].tensors
    return tuple(tensors[i].name if 0 <= i < len(tensors) else "" for i in op.outputs)


def match_ops(old_view: Any, new_view: Any) -> tuple[list[tuple[Any, Any, str]], list[Any],
                                                     list[Any]]:
    """(pairs (old op, new op, "name" | "position"), added new ops, removed old ops)."""
    pairs: list[tuple[Any, Any, str]] = []
    added: list[Any] = []
    removed: list[Any] = []
    old_subgraphs, new_subgraphs = old_view.subgraphs, new_view.subgraphs
    for index in range(max(len(old_subgraphs), len(new_subgraphs))):
        old_ops = list(old_subgraphs[index].operators) if index < len(old_subgraphs) else []
        new_ops = list(new_subgraphs[index].operators) if index < len(new_subgraphs) else []
        by_name: dict[tuple, list[Any]] = defaultdict(list)
        for op in new_ops:
            by_name[(op.name, _output_names(new_view, op))].append(op)
        matched_new: set[int] = set()
        old_left = []
        for op in old_ops:
            candidates = by_name.get((op.name, _output_names(old_view, op)))
            if candidates:
                partner = candidates.pop(0)
                matched_new.add(partner.index)
                pairs.append((op, partner, "name"))
            else:
                old_left.append(op)
        new_left: dict[str, list[Any]] = defaultdict(list)
        for op in new_ops:
            if op.index not in matched_new:
                new_left[op.name].append(op)
        for op in old_left:
            if new_left.get(op.name):
                pairs.append((op, new_left[op.name].pop(0), "position"))
            else:
                removed.append(op)
        added.extend(op for ops in new_left.values() for op in ops)
    pairs.sort(key=lambda pair: (pair[1].subgraph, pair[1].index))
    added.sort(key=lambda op: (op.subgraph, op.index))
    return pairs, added, removed


def compare_ops(old: dict[str, Any], new: dict[str, Any], pairs, added, removed,
                old_view: Any, new_view: Any) -> dict[str, Any]:
    old_histogram, new_histogram = old["summary"]["op_histogram"], new["summary"]["op_histogram"]
    histogram = {op: {"old": old_histogram.get(op, 0), "new": new_histogram.get(op, 0)}
                 for op in sorted(set(old_histogram) | set(new_histogram))
                 if old_histogram.get(op, 0) != new_histogram.get(op, 0)}
    versions = []
    for old_op, new_op, _ in pairs:
        if new_op.opcode.version != old_op.opcode.version:
            versions.append({"old": op_ref(old_view, old_op), "new": op_ref(new_view, new_op),
                             "raised": new_op.opcode.version > old_op.opcode.version})
    by = Counter(how for _, _, how in pairs)
    return {"old_total": old["summary"]["operators"], "new_total": new["summary"]["operators"],
            "matched": {"by_name": by["name"], "by_position": by["position"]},
            "histogram": histogram,
            "added": [op_ref(new_view, op) for op in added],
            "removed": [op_ref(old_view, op) for op in removed],
            "matched_by_position": [{"old": op_ref(old_view, o), "new": op_ref(new_view, n)}
                                    for o, n, how in pairs if how == "position"],
            "versions": versions}


# -- contract ----------------------------------------------------------------------------

def _io_changes(kind: str, old_list: list[dict], new_list: list[dict],
                signature: str | None = None) -> list[dict[str, Any]]:
    """Changes of a list of inputs or outputs: by name where the names are the same set
    (an order change is one entry), by position otherwise."""
    changes: list[dict[str, Any]] = []

    def entry(position, name, what, old_value, new_value):
        changes.append({"kind": kind, "signature": signature, "position": position,
                        "name": name, "field": what, "old": old_value, "new": new_value})

    old_names = [t["name"] for t in old_list]
    new_names = [t["name"] for t in new_list]
    if signature is not None or (sorted(old_names) == sorted(new_names)
                                 and len(set(old_names)) == len(old_names)):
        if old_names != new_names and signature is None:
            entry(None, None, "order", old_names, new_names)
        old_by, new_by = {t["name"]: t for t in old_list}, {t["name"]: t for t in new_list}
        for position, name in enumerate(new_names):
            if name not in old_by:
                entry(position, name, "added", None, _io_summary(new_by[name]))
                continue
            for what in IO_FIELDS:
                if old_by[name].get(what) != new_by[name].get(what):
                    entry(position, name, what, old_by[name].get(what), new_by[name].get(what))
        for name in old_names:
            if name not in new_by:
                entry(old_names.index(name), name, "removed", _io_summary(old_by[name]), None)
        return changes
    for position in range(max(len(old_list), len(new_list))):
        if position >= len(old_list):
            entry(position, new_list[position]["name"], "added", None,
                  _io_summary(new_list[position]))
        elif position >= len(new_list):
            entry(position, old_list[position]["name"], "removed",
                  _io_summary(old_list[position]), None)
        else:
            before, after = old_list[position], new_list[position]
            if before["name"] != after["name"]:
                entry(position, after["name"], "name", before["name"], after["name"])
            for what in IO_FIELDS:
                if before.get(what) != after.get(what):
                    entry(position, after["name"], what, before.get(what), after.get(what))
    return changes


def _io_summary(tensor: dict[str, Any]) -> dict[str, Any]:
    return {key: tensor.get(key) for key in ("name", "dtype", "shape")}


def compare_contract(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    inputs = _io_changes("input", old["inputs"], new["inputs"])
    outputs = _io_changes("output", old["outputs"], new["outputs"])
    signatures: list[dict[str, Any]] = []
    old_sigs = {s["key"]: s for s in old["signatures"]}
    new_sigs = {s["key"]: s for s in new["signatures"]}
    for key in old_sigs.keys() | new_sigs.keys():
        if key not in new_sigs:
            signatures.append({"kind": "signature", "signature": key, "position": None,
                               "name": None, "field": "removed", "old": key, "new": None})
        elif key not in old_sigs:
            signatures.append({"kind": "signature", "signature": key, "position": None,
                               "name": None, "field": "added", "old": None, "new": key})
        else:
            for part in ("inputs", "outputs"):
                signatures.extend(_io_changes(f"signature {part[:-1]}", old_sigs[key][part],
                                              new_sigs[key][part], signature=key))
    signatures.sort(key=lambda c: (c["signature"], c["kind"], c["position"] or 0))
    return {"changed": bool(inputs or outputs or signatures), "inputs": inputs,
            "outputs": outputs, "signatures": signatures}


# -- targets -----------------------------------------------------------------------------

def compare_targets(old: dict[str, Any], new: dict[str, Any], pairs, added
                    ) -> dict[str, Any]:
    result = {}
    for name in new["targets"]:
        before, after = old["targets"].get(name), new["targets"][name]
        if before is None:
            continue
        old_verdicts = {(o["subgraph"], o["op_index"]): o for o in before["ops"]}
        new_verdicts = {(o["subgraph"], o["op_index"]): o for o in after["ops"]}

        def ref(verdict: dict[str, Any]) -> dict[str, Any]:
            return {"subgraph": verdict["subgraph"], "op_index": verdict["op_index"],
                    "op": verdict["op"], "verdict": verdict["verdict"],
                    "reasons": [r["message"] for r in verdict.get("reasons", [])]}

        off, on = [], []
        for old_op, new_op, _ in pairs:
            was = old_verdicts.get((old_op.subgraph, old_op.index))
            now = new_verdicts.get((new_op.subgraph, new_op.index))
            if was is None or now is None:
                continue
            if was["verdict"] in ON_TARGET and now["verdict"] not in ON_TARGET:
                off.append({**ref(now), "was": was["verdict"], "added": False})
            elif was["verdict"] not in ON_TARGET and now["verdict"] in ON_TARGET:
                on.append({**ref(now), "was": was["verdict"], "added": False})
        for op in added:
            now = new_verdicts.get((op.subgraph, op.index))
            if now is not None and now["verdict"] not in ON_TARGET:
                off.append({**ref(now), "was": None, "added": True})
        off.sort(key=lambda o: (o["subgraph"], o["op_index"]))
        entry = {key: _change(before.get(key), after.get(key))
                 for key in ("ops_total", "ops_on_target", "partitions", "can_run")}
        entry.update(newly_off_target=off, newly_on_target=on)
        entry["changed"] = bool(off or on or any(entry[k]["changed"] for k in
                                                 ("ops_on_target", "partitions", "can_run")))
        result[name] = entry
    return result


# -- findings ----------------------------------------------------------------------------

def finding_key(finding: dict[str, Any]) -> tuple:
    """(rule, target, location keys): what identifies a finding across model versions."""
    return (finding["rule"], finding.get("target"),
            tuple(sorted(str(loc.get("key")) for loc in finding.get("locations") or [])))


def compare_findings(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    old_keys = Counter(finding_key(f) for f in old["findings"])
    new_keys = Counter(finding_key(f) for f in new["findings"])

    def short(finding: dict[str, Any]) -> dict[str, Any]:
        return {key: finding.get(key) for key in ("rule", "name", "severity", "target",
                                                  "message")} | {
            "keys": [loc.get("key") for loc in finding.get("locations") or []]}

    def only(findings: list[dict], others: Counter) -> list[dict[str, Any]]:
        seen: Counter = Counter()
        result = []
        for finding in findings:
            key = finding_key(finding)
            seen[key] += 1
            if seen[key] > others[key]:
                result.append(short(finding))
        return result

    return {"new": only(new["findings"], old_keys), "gone": only(old["findings"], new_keys)}


# -- gates -------------------------------------------------------------------------------

def check_gates(document: dict[str, Any], gates: Gates) -> list[dict[str, Any]]:
    from .sizes import human_bytes

    results = []
    for option, key, limit in (("max-arena-growth", "arena_bytes", gates.max_arena_growth),
                               ("max-weights-growth", "weights_bytes",
                                gates.max_weights_growth)):
        if limit is None:
            continue
        figure = document["memory"][key]
        crossed = limit.crossed(figure["old"], figure["new"])
        share = f", {figure['growth']:+.1%}" if figure["growth"] is not None else ""
        results.append({"gate": option, "limit": limit.written, "crossed": crossed,
                        "detail": f"{key.split('_')[0]} {human_bytes(figure['old'])} -> "
                                  f"{human_bytes(figure['new'])} ("
                                  f"{'+' if (figure['delta'] or 0) >= 0 else ''}"
                                  f"{human_bytes(figure['delta'])}{share})"})
    if gates.no_new_fallback:
        parts = []
        for name, target in document["targets"].items():
            reasons = []
            if target["newly_off_target"]:
                reasons.append(f"{len(target['newly_off_target'])} op(s) newly off the target")
            if (target["partitions"]["old"] or 0) > 0 and \
                    (target["partitions"]["new"] or 0) > target["partitions"]["old"]:
                reasons.append(f"partitions {target['partitions']['old']} -> "
                               f"{target['partitions']['new']}")
            if target["can_run"]["old"] and not target["can_run"]["new"]:
                reasons.append("can no longer run the model")
            if reasons:
                parts.append(f"{name}: {', '.join(reasons)}")
        detail = "; ".join(parts) if parts else (
            "no op newly falls back" if document["targets"] else "no --target to check")
        results.append({"gate": "no-new-fallback", "limit": None, "crossed": bool(parts),
                        "detail": detail})
    if gates.no_contract_change:
        contract = document["contract"]
        count = sum(len(contract[k]) for k in ("inputs", "outputs", "signatures"))
        results.append({"gate": "no-contract-change", "limit": None,
                        "crossed": contract["changed"],
                        "detail": f"{count} change(s) of inputs, outputs or signatures"
                        if count else "inputs, outputs and signatures unchanged"})
    return results


__all__ = ["diff", "ModelDiff", "Gates", "Growth", "match_ops", "compare", "finding_key"]

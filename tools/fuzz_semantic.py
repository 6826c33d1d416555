"""Semantic mutations of working models, run in the real runtimes and in tfllint (issue 13).

Used by bench/fuzz_semantic.py (the full run and its figures), tests/test_fuzz_semantic.py
(a bounded run in CI) and bench/op_parameters_agreement.py (load / pack / op_names).

A mutation changes ONE thing in a model that runs, through LiteRT's own flatbuffer object
API (ai_edge_litert.schema_py_generated), so the file stays a well-formed flatbuffer with
a wrong meaning. The classes, fixed:

- ``dimension``: one entry of a tensor's shape set to 0, -1, 2**31-1 (huge) or one more;
- ``option``: one int field of an op's builtin options (or one entry of an int-list
  option, e.g. RESHAPE's new_shape) set to 0, -1 or 2**30 (large);
- ``input``: one input index of an op set to -1, to the tensor count (out of range), or to
  another tensor of the subgraph;
- ``type``: one tensor's TensorType set to another TensorType;
- ``quantization``: a quantized tensor's first scale set to 0, -1 or NaN; its first zero
  point outside its type's range; one scale too many (count mismatch); its
  quantized_dimension set to the tensor's rank (out of range);
- ``buffer``: a constant tensor's buffer cut to half its length, or emptied;
- ``version``: an operator code's version set to 0, or to 99 (beyond any kernel's max);
- ``subgraph``: a called subgraph index of WHILE / IF / CALL_ONCE set to the op's own
  subgraph, to the subgraph count (out of range), or swapped (cond <-> body,
  then <-> else).

Each class lists every candidate mutation of a model in a fixed order, and the seed
shuffles that list (random.Random(f"{seed}:{model file name}:{class}")); a mutation is
identified, and rebuilt, by (model, class, seed, index in the shuffled list): see
`mutate`. The harness runs the first `per_class` of each class.

Each mutated file is run in a child process (tools/cve_catalogue.run_runtime: 2 GiB
RLIMIT_AS, a timeout) in ai-edge-litert (load, allocate, invoke on zero inputs) and in
tflite-micro (from_bytes with a 1 MiB arena, invoke on zero inputs): "ran", "refused:
<message>", "crashed: <signal>", "hung" (only when a second run hangs too). tfllint lints
it in process with `--preview`, and with `--preview --target tflm`. `figures` then says:

- predicted: of the files that crash a runtime, those with an error-severity finding or
  exit 2 (`--target tflm` for a crash only tflite-micro has); goal 100%;
- matched: of the files a runtime refuses cleanly (a runtime that runs the unmodified
  model), those with an error from a rule that rules/data/runtime_messages.toml gives for
  the runtime's message; goal >= 90%;
- false errors: of the files that run in ai-edge-litert (and in tflite-micro when it runs
  the unmodified model), those with an error or exit 2 without a target; goal <= 2%.
"""
from __future__ import annotations

import copy
import math
import random
import re
import struct
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import flatbuffers

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tools")]
import cve_catalogue  # noqa: E402  (run_runtime, lint: the CVE catalogue's child processes)

MESSAGES = REPO / "rules" / "data" / "runtime_messages.toml"
CLASSES = ("dimension", "option", "input", "type", "quantization", "buffer", "version",
           "subgraph")
HUGE = 2**31 - 1
LARGE = 2**30
SUBGRAPH_FIELDS = ("condSubgraphIndex", "bodySubgraphIndex", "thenSubgraphIndex",
                   "elseSubgraphIndex", "initSubgraphIndex")
ZERO_POINT_OUTSIDE = {9: 200, 3: 300, 7: 40000, 17: 20}  # INT8, UINT8, INT16, INT4 (by type)


def load(data: bytes):
    """(schema module, ModelT) of a model file, through LiteRT's object API."""
    from ai_edge_litert import schema_py_generated as schema

    return schema, schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))


def pack(model) -> bytes:
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def op_names(schema, model) -> list[str]:
    """The builtin operator name of each operator code ("?" when unknown)."""
    names = {value: name for name, value in vars(schema.BuiltinOperator).items()
             if not name.startswith("_")}
    return [names.get(max(code.builtinCode, code.deprecatedBuiltinCode), "?")
            for code in model.operatorCodes]


# -- candidates: (description, function(model) applying it to a fresh object tree) --------

def _tensors(model):
    for s, subgraph in enumerate(model.subgraphs):
        for t, tensor in enumerate(subgraph.tensors or ()):
            yield s, t, tensor


def _ops(model):
    for s, subgraph in enumerate(model.subgraphs):
        for o, op in enumerate(subgraph.operators or ()):
            yield s, o, op


def _set_tensor(s, t, attribute, value, position=None):
    return _set_field(lambda model: model.subgraphs[s].tensors[t], attribute, position, value)


def dimension(schema, model, rng):
    for s, t, tensor in _tensors(model):
        for d, size in enumerate(tensor.shape if tensor.shape is not None else ()):
            for value in (0, -1, HUGE, int(size) + 1):
                if value != size:
                    yield (f"sg{s} t{t} shape[{d}] {size}->{value}",
                           _set_tensor(s, t, "shape", value, d))


def _int_fields(options):
    for name, value in sorted(vars(options).items()):
        if type(value) is int:
            yield name, None, value
        elif isinstance(value, list) or hasattr(value, "tolist"):
            for position, item in enumerate(list(value)):
                if isinstance(item, int) or hasattr(item, "item"):
                    yield name, position, int(item)


def option(schema, model, rng):
    names = op_names(schema, model)
    for s, o, op in _ops(model):
        if op.builtinOptions is None:
            continue
        for field, position, current in _int_fields(op.builtinOptions):
            for value in (0, -1, LARGE):
                if value == current:
                    continue
                where = field if position is None else f"{field}[{position}]"
                yield (f"sg{s} op{o} {names[op.opcodeIndex]} {where} {current}->{value}",
                       _set_option(s, o, field, position, value))


def _set_option(s, o, field, position, value):
    return _set_field(lambda model: model.subgraphs[s].operators[o].builtinOptions, field,
                      position, value)


def _set_field(owner, field, position, value):
    """A mutation setting owner(model).field (or its entry `position`) to value."""
    def apply(model):
        target = owner(model)
        if position is None:
            setattr(target, field, value)
        else:
            values = [*getattr(target, field)]
            values[position] = value
            setattr(target, field, values)
    return apply


def input_index(schema, model, rng):
    names = op_names(schema, model)
    for s, o, op in _ops(model):
        count = len(model.subgraphs[s].tensors)
        for slot, index in enumerate(op.inputs if op.inputs is not None else ()):
            others = [t for t in range(count) if t != index]
            values = [-1, count] + ([rng.choice(others)] if others else [])
            for value in values:
                if value != index:
                    yield (f"sg{s} op{o} {names[op.opcodeIndex]} input{slot} {index}->{value}",
                           _set_input(s, o, slot, value))


def _set_input(s, o, slot, value):
    def apply(model):
        op = model.subgraphs[s].operators[o]
        op.inputs = [value if position == slot else index
                     for position, index in enumerate(op.inputs)]
    return apply


def tensor_type(schema, model, rng):
    types = sorted(value for name, value in vars(schema.TensorType).items()
                   if not name.startswith("_"))
    for s, t, tensor in _tensors(model):
        value = rng.choice([v for v in types if v != tensor.type])
        yield f"sg{s} t{t} type {tensor.type}->{value}", _set_tensor(s, t, "type", value)


def quantization(schema, model, rng):
    for s, t, tensor in _tensors(model):
        q = tensor.quantization
        if q is None or q.scale is None or len(q.scale) == 0:
            continue
        for value in (0.0, -1.0, math.nan):
            yield f"sg{s} t{t} scale[0]->{value}", _set_quant(s, t, "scale", 0, value)
        if q.zeroPoint is not None and len(q.zeroPoint):
            value = ZERO_POINT_OUTSIDE.get(tensor.type, 1 << 20)
            yield f"sg{s} t{t} zero_point[0]->{value}", _set_quant(s, t, "zeroPoint", 0, value)
        yield (f"sg{s} t{t} {len(q.scale)}+1 scales",
               _set_quant(s, t, "scale", None, [*map(float, q.scale), float(q.scale[0])]))
        rank = len(tensor.shape) if tensor.shape is not None else 0
        yield (f"sg{s} t{t} quantized_dimension->{rank}",
               _set_quant(s, t, "quantizedDimension", None, rank))


def _set_quant(s, t, attribute, position, value):
    return _set_field(lambda model: model.subgraphs[s].tensors[t].quantization, attribute,
                      position, value)


def buffer_length(schema, model, rng):
    seen = set()
    for s, t, tensor in _tensors(model):
        buffer = model.buffers[tensor.buffer] if 0 < tensor.buffer < len(model.buffers) \
            else None
        if buffer is None or buffer.data is None or len(buffer.data) == 0 or \
                tensor.buffer in seen:
            continue
        seen.add(tensor.buffer)
        length = len(buffer.data)
        for value in (length // 2, 0):
            yield (f"sg{s} t{t} buffer {tensor.buffer} length {length}->{value}",
                   _cut_buffer(tensor.buffer, value))


def _cut_buffer(index, length):
    def apply(model):
        model.buffers[index].data = model.buffers[index].data[:length]
    return apply


def version(schema, model, rng):
    names = op_names(schema, model)
    for c, code in enumerate(model.operatorCodes):
        for value in (0, 99):
            yield f"opcode{c} {names[c]} version {code.version}->{value}", _set_version(c, value)


def _set_version(c, value):
    def apply(model):
        model.operatorCodes[c].version = value
    return apply


def subgraph(schema, model, rng):
    names = op_names(schema, model)
    for s, o, op in _ops(model):
        options = op.builtinOptions
        fields = [f for f in SUBGRAPH_FIELDS if options is not None and hasattr(options, f)]
        for field in fields:
            for value in (s, len(model.subgraphs)):
                yield (f"sg{s} op{o} {names[op.opcodeIndex]} {field}->{value}",
                       _set_option(s, o, field, None, value))
        if len(fields) == 2:
            yield f"sg{s} op{o} {names[op.opcodeIndex]} {'<->'.join(fields)}", _swap(s, o, fields)


def _swap(s, o, fields):
    def apply(model):
        options = model.subgraphs[s].operators[o].builtinOptions
        first, second = (getattr(options, f) for f in fields)
        setattr(options, fields[0], second)
        setattr(options, fields[1], first)
    return apply


GENERATORS = {"dimension": dimension, "option": option, "input": input_index,
              "type": tensor_type, "quantization": quantization, "buffer": buffer_length,
              "version": version, "subgraph": subgraph}


@lru_cache(maxsize=4)
def _base(path: str):
    return load(Path(path).read_bytes())


@lru_cache(maxsize=64)
def candidates(path: str, kind: str, seed: int) -> list:
    """The class's mutations of the model, in the seed's order."""
    schema, model = _base(path)
    key = f"{seed}:{Path(path).name}:{kind}"
    found = list(GENERATORS[kind](schema, model, random.Random(key + ":values")))
    random.Random(key).shuffle(found)
    return found


def mutate(path: str | Path, kind: str, seed: int, index: int) -> tuple[str, bytes | None]:
    """(description, file bytes) of mutation `index` of class `kind` with `seed`; None
    for the bytes when the value does not fit the field (2**30 in a byte-wide enum)."""
    description, apply = candidates(str(path), kind, seed)[index]
    _, model = _base(str(path))
    model = copy.deepcopy(model)
    apply(model)
    try:
        return description, pack(model)
    except (TypeError, ValueError, struct.error):
        return description, None


# -- running one file ------------------------------------------------------------------------

def run(runtime: str, path: Path) -> str:
    """run_runtime's outcome; a hang counts only when a second run hangs too."""
    outcome = cve_catalogue.run_runtime(runtime, path)
    return cve_catalogue.run_runtime(runtime, path) if outcome == "hung" else outcome


def verdict(lint: dict) -> list[str]:
    """The rules with an error-severity finding, plus "exit 2" when tfllint exits 2."""
    return sorted({rule for rule, _ in lint["errors"]}) + (["exit 2"] * (lint["exit"] == 2))


def evaluate(task: tuple) -> dict:
    """One mutated file through both runtimes and tfllint (a worker's job)."""
    path, kind, seed, index, micro = task
    description, data = mutate(path, kind, seed, index)
    if data is None:
        return {"model": Path(path).name, "class": kind, "seed": seed, "index": index,
                "mutation": description, "skipped": "the value does not fit the field"}
    with tempfile.TemporaryDirectory() as directory:
        file = Path(directory) / "mutated.tflite"
        file.write_bytes(data)
        return {"model": Path(path).name, "class": kind, "seed": seed, "index": index,
                "mutation": description, "bytes": len(data),
                "litert": run("litert", file), "tflm": run("tflm", file) if micro else "",
                "lint": verdict(cve_catalogue.lint(file, tflm=False)),
                "lint_tflm": verdict(cve_catalogue.lint(file, tflm=True))}


def tasks(paths, seed: int, per_class: int, classes=CLASSES) -> list[tuple]:
    """(path, class, seed, index, run tflite-micro too) for the first per_class mutations
    of each class of each model."""
    return [(str(path), kind, seed, index, True) for path in paths for kind in classes
            for index in range(min(per_class, len(candidates(str(path), kind, seed))))]


def run_all(tasks_list, workers: int = 2, progress=None) -> list[dict]:
    """Every task in `workers` processes (fork), results in task order."""
    import multiprocessing

    if workers <= 1:
        return [_report(evaluate(task), progress) for task in tasks_list]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return [_report(result, progress)
                for result in pool.imap(evaluate, tasks_list, chunksize=4)]


def _report(result, progress):
    if progress:
        progress(result)
    return result


# -- the message table and the figures ------------------------------------------------------

@lru_cache(maxsize=1)
def message_table() -> list[dict]:
    from tfllint.toml_files import parse_toml

    entries = parse_toml(MESSAGES.read_text(encoding="utf-8"), str(MESSAGES))["message"]
    for entry in entries:
        entry["regex"] = re.compile(entry["pattern"])
    return entries


def reason_rules(runtime: str, message: str) -> list[str] | None:
    """The rules whose error means what the runtime's refusal says (the first entry of
    the table whose pattern matches), or None when no entry matches."""
    for entry in message_table():
        if entry["runtime"] in (runtime, "both") and entry["regex"].search(message):
            return entry["rules"]
    return None


def classify(result: dict, bases: dict) -> dict:
    """What one result counts as: crashed (by which runtime), refused (by which), ran; and
    whether tfllint predicted / matched / gave a false error."""
    litert, micro = result["litert"], result["tflm"]
    micro_runs = bases.get(result["model"], {}).get("tflm") == "ran"
    crashed = [name for name, outcome in (("litert", litert), ("tflm", micro))
               if outcome.startswith(("crashed", "hung"))]
    outcomes = (("litert", litert), ("tflm", micro if micro_runs else ""))
    refused = [name for name, outcome in outcomes if outcome.startswith("refused")]
    lint, lint_tflm = result["lint"], result["lint_tflm"]
    if crashed:
        verdicts = lint if "litert" in crashed else lint_tflm
        return {"kind": "crashed", "by": crashed, "ok": bool(verdicts)}
    if refused:
        matched = []
        for name in refused:
            rules = reason_rules(name, (litert if name == "litert" else micro)[9:]) or []
            found = lint if name == "litert" else lint_tflm
            matched.append(bool(set(rules) & set(found)))
        return {"kind": "refused", "by": refused, "ok": any(matched),
                "errors": bool(lint) or ("tflm" in refused and bool(lint_tflm))}
    return {"kind": "ran", "by": [], "ok": not lint}


def percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 100.0


def figures(results: list[dict], bases: dict) -> dict:
    counts = {"files": sum("skipped" not in result for result in results), "crashed": 0,
              "crashed_litert": 0, "crashed_tflm": 0,
              "predicted": 0, "refused": 0, "refused_litert": 0, "refused_tflm": 0,
              "refused_error": 0, "matched": 0, "ran": 0, "false_errors": 0}
    for result in results:
        if "skipped" in result:
            counts["skipped"] = counts.get("skipped", 0) + 1
            continue
        verdict_ = classify(result, bases)
        kind = verdict_["kind"]
        counts[kind] += 1
        for name in verdict_["by"]:
            counts[f"{kind}_{name}"] += 1
        if kind == "crashed":
            counts["predicted"] += verdict_["ok"]
        elif kind == "refused":
            counts["matched"] += verdict_["ok"]
            counts["refused_error"] += verdict_["errors"]
        else:
            counts["false_errors"] += not verdict_["ok"]
    counts["predicted_pct"] = percent(counts["predicted"], counts["crashed"])
    counts["matched_pct"] = percent(counts["matched"], counts["refused"])
    counts["refused_error_pct"] = percent(counts["refused_error"], counts["refused"])
    counts["false_error_pct"] = percent(counts["false_errors"], counts["ran"])
    return counts

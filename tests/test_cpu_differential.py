"""Differential test: the `cpu` target's op-version verdicts against a real LiteRT load.

`tfllint --target cpu` says a model is blocked when an operator code names an op or op
version the builtin op resolver does not register (register.cc ranges, from
rules/data/builtin_op_versions.toml), narrowed by `--runtime-version` with
runtime_version.cc (rules/data/op_runtime_versions.toml). The oracle is the installed
LiteRT: `Interpreter(model_content=...)` and, when that succeeds, `allocate_tensors()`.
Both must agree on every case: blocked iff the runtime refuses the model, and the op
tfllint blames is the one the runtime names.

Cases
  * every sample model in models/, and ~85 tiny one-op models (tests/builder.py) that load
    and allocate as built, each as is (the baseline) and in copies where one operator
    code's version is raised to the highest the resolver registers, to one past it, and to
    the versions runtime_version.cc labels 2.22.0 or later; a few go below the lowest
    (version 0, BROADCAST_TO v1); one copy per sample has a builtin code past the schema
    (250);
  * hand-built special cases: an op without a kernel, a resolver custom op at a version
    it does not register, CUSTOM codes without a custom name, unused operator codes, ops
    in a subgraph nothing calls;
  * a sweep of the resolver table: every builtin code of the schema (and two past it),
    at the versions around its registered range, as an unused operator code beside a
    RELU. The interpreter resolves every operator code, used or not, before it builds any
    subgraph (interpreter_builder.cc BuildLocalIndexToRegistrationMapping), so this
    checks the whole table without needing a valid graph for each op.

How a version is raised in a copy. The copy must differ from the original in that one
field only, so the runtime's verdict is about the version and nothing else:
  * where the OperatorCode table stores the field (the tflite bindings give the table's
    position and the vtable's offset of `version`, slot 2, or `builtin_code`, slot 3),
    its four bytes are overwritten in place; nothing else in the file changes;
  * a converter omits `version` when it is 1, the schema default (likewise `builtin_code`
    0, ADD), and an absent field has no bytes to overwrite. Then a complete replacement
    OperatorCode table (its own vtable, every field written explicitly, the custom code
    string copied) is appended after the flatbuffer and the operator_codes vector entry is
    re-pointed to it: offsets in a flatbuffer point forward, so the end of the file is
    always reachable, and the rest of the file stays byte-identical;
  * built models are simply built again with the new version.
Every copy is read back with tfllint's reader and must show the new value on that code
and the original values everywhere else.

Besides the verdicts, where both refuse a model the runtime's error must contain the
wording tfllint predicts for it (the profile's [messages]); there is no known difference
left. test_command_line_agrees runs
the same copies through `tfllint --target cpu --format json`.

The oracle runs in a child process (a kernel that aborts would otherwise end pytest);
a child that dies is recorded as "aborted" for that case and restarted after it.

The installed runtime. ai-edge-litert 2.3.0 reports itself as "2.22.0-dev0+selfbuilt"
(the model analyzer's "TFLite runtime version"): that is TensorFlow's version string at
the TensorFlow commit the wheel was built against (tflite/version.h: "currently shared
with that of TensorFlow"), not a LiteRT release. Its resolver is LiteRT's own register.cc,
and the sweep shows it registers exactly the ranges of rules/data (LiteRT f67457790c9c):
those of LiteRT v2.2.0's register.cc, unchanged up to that commit (v2.1.6 registers fewer
versions of 14 ops), including every op version runtime_version.cc labels "2.23.0", its
newest label. So tfllint without --runtime-version is compared exactly. With
--runtime-version set to what the runtime reports (2.22), tfllint blocks those
2.23.0-labelled versions, which this runtime loads: test_release_mode lists each such case
as an expected difference with that reason, and fails on any other.

Needs the `oracle` extra (ai-edge-litert); runs in a few seconds.
"""
from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pytest

litert = pytest.importorskip(
    "ai_edge_litert.interpreter",
    reason="ai-edge-litert is not installed: pip install -e .[oracle] to run the "
           "differential test of the cpu target's op-version verdicts against a real "
           "LiteRT load")

from builder import ModelBuilder  # noqa: E402
from conftest import SAMPLE_MODELS, view_of  # noqa: E402
from tflite.Model import Model as FlatModel  # noqa: E402

from tfllint.analyses import Analyses  # noqa: E402
from tfllint.analyses.runtime import min_runtime_for, registered_range  # noqa: E402
from tfllint.engine.settings import settings_from_mapping  # noqa: E402
from tfllint.reader import decode_model  # noqa: E402
from tfllint.reader.tflite_schema import ENUMS  # noqa: E402
from tfllint.versions import covers, format_version  # noqa: E402

BUILTIN_NAMES: dict[int, str] = ENUMS["BuiltinOperator"]
SCHEMA_MAX = max(BUILTIN_NAMES)
PAST_SCHEMA = 250
EVERY_CODE_CHECK = "cpu-every-operator-code-resolves"

# -- copies with one operator code changed ----------------------------------------------

# vtable offsets (4 + 2 * slot) of the fields the copies change
MODEL_OPERATOR_CODES = 6  # Model.operator_codes, slot 1
CODE_VERSION = 8  # OperatorCode.version, slot 2
CODE_BUILTIN = 10  # OperatorCode.builtin_code, slot 3


def with_operator_code(data: bytes, index: int, *, version: int | None = None,
                       builtin_code: int | None = None) -> tuple[bytes, str]:
    """A copy of `data` with operator code `index` changed; also says how it was done."""
    model = FlatModel.GetRootAsModel(data, 0)
    code = model.OperatorCodes(index)
    table = code._tab
    edits = {CODE_VERSION: version, CODE_BUILTIN: builtin_code}
    copy = bytearray(data)
    if all(value is None or table.Offset(slot) for slot, value in edits.items()):
        for slot, value in edits.items():
            if value is not None:
                struct.pack_into("<i", copy, table.Pos + table.Offset(slot), value)
        return bytes(copy), "in place"
    custom = code.CustomCode()
    fields = dict(deprecated=code.DeprecatedBuiltinCode(),
                  version=code.Version() if version is None else version,
                  builtin=code.BuiltinCode() if builtin_code is None else builtin_code)
    copy += bytes(-len(copy) % 4)
    vtable_at = len(copy)
    table_at = vtable_at + 12
    # vtable: its size, the table's size, then the offsets of deprecated_builtin_code,
    # custom_code, version, builtin_code within the table
    copy += struct.pack("<6H", 12, 20, 16, 4 if custom is not None else 0, 8, 12)
    copy += struct.pack("<iIiib3x", table_at - vtable_at, 16 if custom is not None else 0,
                        fields["version"], fields["builtin"], fields["deprecated"])
    if custom is not None:
        copy += struct.pack("<I", len(custom)) + custom + b"\0"
        copy += bytes(-len(copy) % 4)
    codes = model._tab.Vector(model._tab.Offset(MODEL_OPERATOR_CODES))
    entry = codes + 4 * index
    struct.pack_into("<I", copy, entry, table_at - entry)
    return bytes(copy), "appended table"


def assert_only_code_changed(original: bytes, copy: bytes, index: int, version: int | None,
                             builtin_code: int | None) -> None:
    """The copy reads back with the new value on code `index` and nothing else changed."""
    changed = [i for i, (a, b) in enumerate(zip(original, copy)) if a != b]
    assert not changed or changed[-1] - changed[0] < 4, "more than 4 bytes of the file changed"
    before, after = decode_model(original), decode_model(copy)
    assert len(before.operator_codes) == len(after.operator_codes)
    for old, new in zip(before.operator_codes, after.operator_codes):
        if old.index == index:
            assert (new.builtin_code, new.version, new.custom_code) == (
                old.builtin_code if builtin_code is None else builtin_code,
                old.version if version is None else version, old.custom_code), new
        else:
            assert new == old
    def graph(model):
        return [[(op.opcode.index, op.inputs, op.outputs, op.options) for op in s.operators]
                for s in model.subgraphs]
    assert graph(before) == graph(after)


# -- cases ------------------------------------------------------------------------------

@dataclass
class Case:
    id: str
    group: str  # sample:<file>, built:<op>, special, sweep
    data: bytes
    patched: int | None = None  # the operator code changed from the baseline
    baseline: str | None = None  # id of the unchanged model
    how: str = ""  # how the copy was made
    note: str = ""


def newest_labelled(name: str) -> list[int]:
    """Versions runtime_version.cc labels 2.22.0 or later: new in HEAD's table."""
    low_high = registered_range(name)
    if not low_high:
        return []
    return [v for v in range(low_high[0], low_high[1] + 1)
            if (min_runtime_for(name, v) or ()) >= (2, 22)]


def raised_versions(name: str) -> list[int]:
    low, high = registered_range(name) or (1, 1)
    return sorted({high, high + 1, *newest_labelled(name)} - {low})


def sample_cases() -> list[Case]:
    cases = []
    for path in SAMPLE_MODELS:
        data = path.read_bytes()
        base = Case(f"{path.stem}", f"sample:{path.name}", data, note="as committed")
        cases.append(base)
        model = decode_model(data)
        builtin_codes = [c for c in model.operator_codes if c.name != "CUSTOM"]
        for code in builtin_codes:
            for version in raised_versions(code.name):
                copy, how = with_operator_code(data, code.index, version=version)
                assert_only_code_changed(data, copy, code.index, version, None)
                cases.append(Case(f"{path.stem}:{code.name}:v{version}", base.group, copy,
                                  code.index, base.id, how))
        target = builtin_codes[-1]
        copy, how = with_operator_code(data, target.index, builtin_code=PAST_SCHEMA)
        assert_only_code_changed(data, copy, target.index, None, PAST_SCHEMA)
        cases.append(Case(f"{path.stem}:{target.name}:code{PAST_SCHEMA}", base.group, copy,
                          target.index, base.id, how))
    return cases


F, I32 = "FLOAT32", "INT32"
Q8 = {"scale": [0.1], "zero_point": [0]}


def const(values, dtype=np.float32) -> np.ndarray:
    return np.asarray(values, dtype=dtype)


def one_op_model(op: str, version: int, inputs: list, outputs: list,
                 options: tuple | None = None) -> bytes:
    """`op` from graph inputs and constants to outputs. An input is (shape, dtype[, quant])
    or a numpy array (a constant); an output is (shape, dtype[, quant])."""
    dtypes = {np.dtype(np.float32): F, np.dtype(np.int32): I32, np.dtype(np.bool_): "BOOL"}
    model = ModelBuilder()
    main = model.subgraph("main")
    indices, graph_inputs = [], []
    for position, spec in enumerate(inputs):
        if isinstance(spec, np.ndarray):
            indices.append(main.constant(f"c{position}", spec, dtypes[spec.dtype]))
        else:
            shape, dtype, *quant = spec
            indices.append(main.tensor(f"x{position}", shape, dtype,
                                       **(quant[0] if quant else {})))
            graph_inputs.append(indices[-1])
    results = []
    for position, (shape, dtype, *quant) in enumerate(outputs):
        results.append(main.tensor(f"y{position}", shape, dtype, **(quant[0] if quant else {})))
    main.op(op, indices, results, version=version, options=options)
    main.inputs, main.outputs = graph_inputs, results
    return model.build()


X = ([1, 4], F)
UNARY = ["ABS", "NEG", "EXP", "LOG", "SQRT", "RSQRT", "SQUARE", "SIN", "COS", "FLOOR", "CEIL",
         "ROUND", "SIGN", "RELU", "RELU6", "RELU_N1_TO_1", "RELU_0_TO_1", "LOGISTIC", "TANH",
         "ELU", "HARD_SWISH", "GELU", "LEAKY_RELU", "SOFTMAX", "LOG_SOFTMAX",
         "L2_NORMALIZATION", "ZEROS_LIKE"]
BINARY = ["ADD", "SUB", "MUL", "DIV", "MAXIMUM", "MINIMUM", "POW", "SQUARED_DIFFERENCE",
          "FLOOR_DIV", "FLOOR_MOD", "ATAN2", "ADD_N"]
COMPARE = ["LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "EQUAL", "NOT_EQUAL"]
REDUCE = ["MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD"]
IMAGE = ([1, 4, 4, 1], F)

# op -> (inputs, outputs[, options]) of a one-op model that loads and allocates
OP_MODELS: dict[str, tuple] = {
    **{op: ([X], [X]) for op in UNARY},
    **{op: ([X, X], [X]) for op in BINARY},
    **{op: ([X, X], [([1, 4], "BOOL")]) for op in COMPARE},
    **{op: ([X, const([1], np.int32)], [([1], F)]) for op in REDUCE},
    "LOGICAL_AND": ([([1, 4], "BOOL")] * 2, [([1, 4], "BOOL")]),
    "LOGICAL_OR": ([([1, 4], "BOOL")] * 2, [([1, 4], "BOOL")]),
    "LOGICAL_NOT": ([([1, 4], "BOOL")], [([1, 4], "BOOL")]),
    "CAST": ([X], [([1, 4], I32)]),
    "QUANTIZE": ([X], [([1, 4], "INT8", Q8)]),
    "DEQUANTIZE": ([([1, 4], "INT8", Q8)], [X]),
    "FULLY_CONNECTED": ([X, const(np.ones((3, 4))), const(np.zeros(3))], [([1, 3], F)]),
    "CONV_2D": ([IMAGE, const(np.ones((2, 1, 1, 1))), const(np.zeros(2))],
                [([1, 4, 4, 2], F)],
                ("Conv2DOptions", {"padding": 1, "stride_w": 1, "stride_h": 1})),
    "RESHAPE": ([X, const([2, 2], np.int32)], [([2, 2], F)]),
    "TRANSPOSE": ([X, const([1, 0], np.int32)], [([4, 1], F)]),
    "CONCATENATION": ([X, X], [([2, 4], F)]),
    "GATHER": ([([2, 4], F), const([1], np.int32)], [([1, 4], F)]),
    "GATHER_ND": ([([2, 4], F), const([[1]], np.int32)], [([1, 4], F)]),
    "SLICE": ([X, const([0, 1], np.int32), const([1, 2], np.int32)], [([1, 2], F)]),
    "STRIDED_SLICE": ([X, const([0, 0], np.int32), const([1, 2], np.int32),
                       const([1, 1], np.int32)], [([1, 2], F)]),
    "PAD": ([X, const([[0, 0], [1, 1]], np.int32)], [([1, 6], F)]),
    "PADV2": ([X, const([[0, 0], [1, 1]], np.int32), const(0.0)], [([1, 6], F)]),
    "EXPAND_DIMS": ([X, const(0, np.int32)], [([1, 1, 4], F)]),
    "SQUEEZE": ([X], [([4], F)]),
    "TILE": ([X, const([2, 1], np.int32)], [([2, 4], F)]),
    "BROADCAST_TO": ([X, const([2, 4], np.int32)], [([2, 4], F)]),
    "FILL": ([const([1, 4], np.int32), ([], F)], [X]),
    "RANK": ([X], [([], I32)]),
    "BATCH_MATMUL": ([([1, 2, 2], F), const(np.ones((1, 2, 2)))], [([1, 2, 2], F)]),
    "SELECT": ([([1, 4], "BOOL"), X, X], [X]),
    "SELECT_V2": ([([1, 4], "BOOL"), X, X], [X]),
    "REVERSE_V2": ([X, const([1], np.int32)], [X]),
    "CUMSUM": ([X, const(1, np.int32)], [X]),
    "DYNAMIC_UPDATE_SLICE": ([X, ([1, 2], F), const([0, 1], np.int32)], [X]),
    "PRELU": ([X, const(np.full(4, 0.1))], [X]),
    "EMBEDDING_LOOKUP": ([const([1], np.int32), ([3, 4], F)], [X]),
    "RESIZE_BILINEAR": ([([1, 2, 2, 1], F), const([4, 4], np.int32)], [IMAGE]),
    "RESIZE_NEAREST_NEIGHBOR": ([([1, 2, 2, 1], F), const([4, 4], np.int32)], [IMAGE]),
    "SPACE_TO_BATCH_ND": ([IMAGE, const([2, 2], np.int32), const(np.zeros((2, 2)), np.int32)],
                          [([4, 2, 2, 1], F)]),
    "BATCH_TO_SPACE_ND": ([([4, 2, 2, 1], F), const([2, 2], np.int32),
                           const(np.zeros((2, 2)), np.int32)], [IMAGE]),
}
BELOW_MIN = {"BROADCAST_TO": 1, "RELU": 0, "ADD": 0, "CONV_2D": 0}


def built_cases() -> list[Case]:
    cases = []
    for op, (inputs, outputs, *options) in OP_MODELS.items():
        low, high = registered_range(op)
        build = lambda version: one_op_model(op, version, inputs, outputs,  # noqa: E731
                                             options[0] if options else None)
        base = Case(f"{op}:v{low}", f"built:{op}", build(low), note="lowest registered")
        cases.append(base)
        versions = raised_versions(op) + ([BELOW_MIN[op]] if op in BELOW_MIN else [])
        for version in versions:
            cases.append(Case(f"{op}:v{version}", base.group, build(version), 0, base.id,
                              "built"))
    return cases


def relu_with(*codes: tuple[int | str, int], extra_subgraph: tuple[str, int] | None = None):
    """RELU x -> y, plus unused operator codes, plus a subgraph nothing calls."""
    model = ModelBuilder()
    main = model.subgraph("main")
    x, y = main.tensor("x", [1, 4]), main.tensor("y", [1, 4])
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    for code, version in codes:
        model.opcode(code, version)
    if extra_subgraph:
        orphan = model.subgraph("orphan")
        a, b = orphan.tensor("a", [1, 4]), orphan.tensor("b", [1, 4])
        orphan.op(extra_subgraph[0], [a], [b], version=extra_subgraph[1])
        orphan.inputs, orphan.outputs = [a], [b]
    return model.build()


def special_cases() -> list[Case]:
    detection = ModelBuilder()
    main = detection.subgraph("main")
    x, y = main.tensor("x", [1, 4]), main.tensor("y", [1, 4])
    main.op("CUSTOM", [x], [y], version=2, custom_code="TFLite_Detection_PostProcess")
    main.inputs, main.outputs = [x], [y]
    return [
        Case("relu", "special", relu_with(), note="baseline"),
        Case("unused ADD v6", "special", relu_with(("ADD", 6)), 1, "relu",
             note="an unused operator code the resolver registers"),
        Case("unused ADD v7", "special", relu_with(("ADD", 7)), 1, "relu",
             note="an unused operator code past the registered range"),
        Case("unused CUSTOM without a name", "special", relu_with(("CUSTOM", 1)), 1, "relu",
             note="an unused CUSTOM operator code with no custom_code"),
        Case(f"unused code {PAST_SCHEMA}", "special", relu_with((PAST_SCHEMA, 1)), 1, "relu",
             note="an unused builtin code past the schema"),
        Case("orphan subgraph RELU v4", "special", relu_with(extra_subgraph=("RELU", 4)),
             None, "relu", note="an unregistered version in a subgraph nothing calls"),
        Case("orphan subgraph ELU v1", "special", relu_with(extra_subgraph=("ELU", 1)),
             None, "relu", note="a registered op only in a subgraph nothing calls"),
        Case("STABLEHLO_CBRT", "special", one_op_model("STABLEHLO_CBRT", 1, [X], [X]), 0,
             note="in the schema and in runtime_version.cc, but no kernel is registered"),
        Case(f"op code {SCHEMA_MAX + 1}", "special",
             one_op_model(SCHEMA_MAX + 1, 1, [X], [X]), 0,
             note="the first builtin code past the schema"),
        Case("CUSTOM without a name", "special", one_op_model("CUSTOM", 1, [X], [X]), 0,
             note="an op with the CUSTOM builtin code and no custom_code"),
        Case("TFLite_Detection_PostProcess v2", "special", detection.build(), 0,
             note="a custom op the resolver registers, at a version it does not"),
    ]


def sweep_cases() -> list[Case]:
    """Every builtin code as an unused operator code, around its registered range."""
    cases = []
    for code in sorted(set(BUILTIN_NAMES) | {SCHEMA_MAX + 1, PAST_SCHEMA}):
        name = BUILTIN_NAMES.get(code, f"UNKNOWN({code})")
        if name == "CUSTOM":
            continue
        low_high = registered_range(name)
        versions = sorted({low_high[0] - 1, *low_high, low_high[1] + 1}) if low_high else [1]
        for version in versions:
            cases.append(Case(f"unused {name}:v{version}", "sweep", relu_with((code, version)), 1,
                              None, "unused operator code"))
    return cases


@lru_cache(maxsize=None)
def all_cases() -> tuple[Case, ...]:
    cases = (*sample_cases(), *built_cases(), *special_cases(), *sweep_cases())
    assert len({c.id for c in cases}) == len(cases), "case ids must be unique"
    return cases


# -- the oracle, in a child process -----------------------------------------------------

WORKER = textwrap.dedent("""
    import json, re, sys
    from ai_edge_litert.interpreter import Interpreter
    manifest = json.load(open(sys.argv[1]))
    start = int(sys.argv[2])
    if start == 0:
        try:
            from ai_edge_litert import _pywrap_analyzer_wrapper as analyzer
            text = analyzer.ModelAnalyzer(open(manifest[0], "rb").read(), False, True)
            found = re.search(r"TFLite runtime version (\\S+?)\\.?\\n", text)
            print(json.dumps({"runtime": found.group(1) if found else None}), flush=True)
        except Exception as error:
            print(json.dumps({"runtime": None, "why": str(error)}), flush=True)
    for index in range(start, len(manifest)):
        print(json.dumps({"start": index}), flush=True)
        data = open(manifest[index], "rb").read()
        try:
            interpreter = Interpreter(model_content=data)
        except Exception as error:
            result = {"stage": "construct", "error": str(error)}
        else:
            try:
                interpreter.allocate_tensors()
                result = {"stage": "ok", "error": ""}
            except Exception as error:
                result = {"stage": "allocate", "error": str(error)}
        print(json.dumps({"index": index, **result}), flush=True)
""")


@dataclass(frozen=True)
class Outcome:
    stage: str  # ok, construct, allocate, aborted
    error: str

    @property
    def fails(self) -> bool:
        return self.stage != "ok"


@dataclass
class OracleRun:
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    runtime: str | None = None  # what the runtime reports as its version


@pytest.fixture(scope="module")
def oracle(tmp_path_factory) -> OracleRun:
    cases = all_cases()
    folder = tmp_path_factory.mktemp("cpu_differential")
    paths = []
    for number, case in enumerate(cases):
        path = folder / f"{number:05d}.tflite"
        path.write_bytes(case.data)
        paths.append(str(path))
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps(paths))
    run, start = OracleRun(), 0
    while start < len(cases):
        child = subprocess.run([sys.executable, "-c", WORKER, str(manifest), str(start)],
                               capture_output=True, text=True, timeout=300)
        current = None
        for line in child.stdout.splitlines():
            record = json.loads(line)
            if "runtime" in record:
                run.runtime = record["runtime"]
            elif "start" in record:
                current = record["start"]
            else:
                run.outcomes[cases[record["index"]].id] = Outcome(record["stage"],
                                                                  record["error"])
                current = None
        if child.returncode == 0:
            break
        if current is None:
            pytest.fail(f"the oracle worker failed outside a case: {child.stderr[-2000:]}")
        run.outcomes[cases[current].id] = Outcome(
            "aborted", f"the runtime ended the process (exit {child.returncode}): "
                       f"{child.stderr[-500:]}")
        start = current + 1
    assert len(run.outcomes) == len(cases)
    return run


# -- tfllint's side ---------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    blocked: bool
    blamed: frozenset[int]  # operator codes tfllint says the runtime refuses
    reasons: tuple[str, ...]  # readable, for messages
    tool: dict[int, tuple[str, ...]]  # operator code -> the runtime wording tfllint predicts


def tfllint_verdict(data: bytes, runtime: tuple[int, ...] | None = None) -> Verdict:
    view = view_of(data)
    settings = settings_from_mapping(
        {"runtime-version": format_version(runtime)} if runtime else {}, "test")
    analysis = Analyses(view, settings).target("cpu")
    ops = {(op.subgraph, op.index): op for op in view.operators()}
    blamed, reasons, tool = set(), [], {}
    for verdict in analysis.ops:
        if verdict.verdict != "blocks":
            continue
        code = ops[(verdict.subgraph, verdict.op_index)].opcode.index
        blamed.add(code)
        tool.setdefault(code, tuple(r.tool for r in verdict.reasons if r.tool))
        reasons.extend(f"op {verdict.subgraph}:{verdict.op_index} {verdict.op}: [{r.code}] "
                       f"{r.message}" for r in verdict.reasons)
    for reason in analysis.model_reasons:
        reasons.append(f"model: [{reason.code}] {reason.message}")
        named = re.match(r"operator code (\d+) ", reason.message)
        if reason.code == EVERY_CODE_CHECK and named:
            blamed.add(int(named.group(1)))
            tool.setdefault(int(named.group(1)), (reason.tool,) if reason.tool else ())
    return Verdict(analysis.blocked, frozenset(blamed), tuple(reasons), tool)


def runtime_culprit(data: bytes, outcome: Outcome) -> int | None:
    """The operator code the runtime's error names, as an index into the model's codes."""
    codes = decode_model(data).operator_codes
    missing = re.search(r"Didn't find op for builtin opcode '(\w+)' version '(-?\d+)'",
                        outcome.error)
    if missing:
        name, version = missing.group(1), int(missing.group(2))
        return next(c.index for c in codes if c.name == name and c.version == version)
    past = re.search(r"Op builtin_code out of range: (\d+)", outcome.error)
    if past:
        return next(c.index for c in codes if c.builtin_code == int(past.group(1)))
    if "Operator with CUSTOM builtin_code has no custom_code" in outcome.error:
        return next(c.index for c in codes if c.name == "CUSTOM" and c.custom_code is None)
    node = re.search(r"Node number (\d+) \((.+?)\) failed to prepare", outcome.error)
    if node:
        return decode_model(data).subgraphs[0].operators[int(node.group(1))].opcode.index
    return None


@dataclass(frozen=True)
class Comparison:
    case: Case
    outcome: Outcome
    verdict: Verdict
    agrees: bool
    why: str


def compare(case: Case, outcome: Outcome, verdict: Verdict, baseline_culprits: set[int],
            blame_check: bool = True) -> Comparison:
    if outcome.fails != verdict.blocked:
        said = "blocked" if verdict.blocked else "runs"
        return Comparison(case, outcome, verdict, False,
                          f"tfllint says {said}; the runtime: {outcome.stage} "
                          f"{outcome.error.strip()!r}; tfllint: {list(verdict.reasons)}")
    if not outcome.fails or not blame_check:
        return Comparison(case, outcome, verdict, True, "")
    culprit = runtime_culprit(case.data, outcome)
    if culprit is None:
        return Comparison(case, outcome, verdict, False, "cannot tell which op the runtime "
                          f"refused: {outcome.stage} {outcome.error.strip()!r}")
    problems = []
    if culprit not in verdict.blamed:
        problems.append(f"the runtime refuses operator code {culprit}, tfllint blames "
                        f"{sorted(verdict.blamed)}")
    if case.patched is not None and culprit not in baseline_culprits | {case.patched}:
        problems.append(f"the runtime refuses operator code {culprit}, not the patched "
                        f"{case.patched}")
    extra = verdict.blamed - {culprit} - baseline_culprits
    if extra:
        problems.append(f"tfllint also blames operator codes {sorted(extra)}, which the "
                        "runtime does not refuse")
    return Comparison(case, outcome, verdict, not problems,
                      "; ".join(problems) + (f" ({outcome.error.strip()!r})" if problems else ""))


def compare_all(run: OracleRun, runtime: tuple[int, ...] | None) -> tuple[Comparison, ...]:
    results, culprits = [], {}
    for case in all_cases():
        outcome = run.outcomes[case.id]
        if case.baseline is None and outcome.fails:
            culprits[case.id] = {runtime_culprit(case.data, outcome)} - {None}
        base = culprits.get(case.baseline, set()) if case.baseline else set()
        results.append(compare(case, outcome, tfllint_verdict(case.data, runtime), base,
                               blame_check=runtime is None))
    return tuple(results)


@pytest.fixture(scope="module")
def results(oracle) -> tuple[Comparison, ...]:
    """Every case, tfllint without --runtime-version (HEAD's register.cc ranges)."""
    return compare_all(oracle, None)


@pytest.fixture(scope="module")
def release(oracle) -> tuple[tuple[int, ...], tuple[Comparison, ...]]:
    """Every case, tfllint with --runtime-version set to what the runtime reports."""
    if not oracle.runtime:
        pytest.skip("the installed LiteRT does not report its version (model analyzer)")
    numbers = re.match(r"(\d+)\.(\d+)\.(\d+)", oracle.runtime)
    assert numbers, oracle.runtime
    runtime = tuple(int(n) for n in numbers.groups())
    return runtime, compare_all(oracle, runtime)


def disagreements(results) -> str:
    return "\n".join(f"  {r.case.id}{f' ({r.case.note})' if r.case.note else ''}: {r.why}"
                     for r in results if not r.agrees)


# -- the tests --------------------------------------------------------------------------

def test_cases_cover_what_the_issue_asks():
    cases = all_cases()
    groups = Counter(c.group.split(":")[0] for c in cases)
    assert groups["sample"] > len(SAMPLE_MODELS) and groups["built"] > 150, groups
    assert {c.how for c in cases if c.group.startswith("sample")} >= {"in place",
                                                                      "appended table"}
    assert len({c.group for c in cases if c.group.startswith("built")}) >= 80


def test_unchanged_models_load(oracle):
    """The baselines load and allocate, except models/flex_op.tflite (no Flex delegate),
    so a refused copy is refused for its changed operator code."""
    refused = {c.id: oracle.outcomes[c.id] for c in all_cases()
               if c.baseline is None and c.group != "sweep" and c.patched is None
               and oracle.outcomes[c.id].fails}
    assert set(refused) == {"flex_op"}, refused
    assert "Select TensorFlow op(s)" in refused["flex_op"].error


@pytest.mark.parametrize("group", sorted({c.group for c in all_cases()
                                          if c.group != "sweep"}))
def test_verdicts_agree(results, group):
    members = [r for r in results if r.case.group == group]
    assert all(r.agrees for r in members), \
        f"{group}: tfllint --target cpu disagrees with LiteRT:\n{disagreements(members)}"


def test_resolver_table_sweep(results):
    """Every builtin code at the versions around its range: the installed resolver
    registers exactly rules/data/builtin_op_versions.toml."""
    members = [r for r in results if r.case.group == "sweep"]
    assert len(members) > 600
    assert all(r.agrees for r in members), disagreements(members)


@dataclass
class Wording:
    compared: int = 0
    mismatches: list[str] = field(default_factory=list)


def compare_wording(results) -> Wording:
    """Where both refuse the model, is tfllint's predicted wording in LiteRT's error?"""
    wording = Wording()
    for result in results:
        if not (result.agrees and result.outcome.fails):
            continue
        culprit = runtime_culprit(result.case.data, result.outcome)
        predicted = result.verdict.tool.get(culprit, ())
        wording.compared += 1
        if not any(text.strip() in result.outcome.error for text in predicted):
            wording.mismatches.append(f"{result.case.id}: tfllint {predicted!r} vs "
                                      f"{result.outcome.error!r}")
    return wording


def test_runtime_wording(results):
    """Where tfllint blames an op, its predicted runtime wording is what LiteRT prints."""
    wording = compare_wording(results)
    assert not wording.mismatches, "\n".join(wording.mismatches)
    assert wording.compared > 400


def newer_than(case: Case, runtime: tuple[int, ...]) -> list[str]:
    """Registered op versions in the case that runtime_version.cc labels newer than
    `runtime`."""
    found = []
    for code in decode_model(case.data).operator_codes:
        low_high = registered_range(code.name) if code.is_known else None
        needed = min_runtime_for(code.name, code.version) if low_high else None
        if needed and not covers(runtime, needed) \
                and low_high[0] <= code.version <= low_high[1]:
            found.append(f"{code.name} v{code.version} (labelled {format_version(needed)})")
    return found


def release_differences(oracle: OracleRun, release) -> tuple[dict[str, str], dict[str, str]]:
    """(expected differences with their reason, differences found) in release mode."""
    runtime, in_release = release
    expected = {}
    for result in in_release:
        newer = newer_than(result.case, runtime)
        if newer and not result.outcome.fails:
            expected[result.case.id] = (
                f"{', '.join(newer)}: runtime_version.cc labels it newer than "
                f"{format_version(runtime)}, yet this {oracle.runtime} build registers it "
                "(its register.cc is LiteRT HEAD's)")
    found = {r.case.id: r.why for r in in_release if not r.agrees}
    return expected, found


def test_release_mode(oracle, release):
    """With --runtime-version set to what the runtime reports, the only disagreements are
    op versions runtime_version.cc labels newer than that release which this build
    registers all the same; each is listed with that reason."""
    expected, found = release_differences(oracle, release)
    unexplained = {k: v for k, v in found.items() if k not in expected}
    assert not unexplained, "\n".join(f"  {k}: {v}" for k, v in unexplained.items())
    assert set(found) == set(expected)
    assert expected, "no case has a version labelled newer than the runtime's release: " \
                     "the release mode compares nothing new"


def test_agreement_figures(oracle, results, request):
    """Every case must agree (HEAD mode); the figures go into the failure message instead
    of into every run's output."""
    lines = [f"cpu target vs ai-edge-litert load (the runtime reports {oracle.runtime})",
             "verdicts, tfllint without --runtime-version (cases agreeing / compared):"]
    groups: dict[str, list[Comparison]] = {}
    for result in results:
        key = result.case.group if result.case.group.startswith("sample") else \
            result.case.group.split(":")[0]
        groups.setdefault(key, []).append(result)
    for key, members in groups.items():
        refused = sum(r.outcome.fails for r in members)
        lines.append(f"  {key}: {sum(r.agrees for r in members)} / {len(members)} "
                     f"({refused} refused by the runtime)")
    lines.append(f"  all: {sum(r.agrees for r in results)} / {len(results)}")
    wording = compare_wording(results)
    lines.append(f"runtime wording where both refuse: "
                 f"{wording.compared - len(wording.mismatches)} / {wording.compared}")
    if oracle.runtime:
        release = request.getfixturevalue("release")
        expected, _ = release_differences(oracle, release)
        in_release = release[1]
        lines.append(f"verdicts with --runtime-version {format_version(release[0])}: "
                     f"{sum(r.agrees for r in in_release)} / {len(in_release)}; the "
                     "others, expected:")
        causes = Counter(reason.split(": runtime_version.cc")[0] for reason in expected.values())
        lines += textwrap.wrap(", ".join(f"{cause} x{count}" for cause, count in
                                         sorted(causes.items())), 96,
                               initial_indent="  ", subsequent_indent="  ")
        lines.append("  (runtime_version.cc labels these versions newer than "
                     f"{format_version(release[0])}, yet this build registers them)")
    assert all(r.agrees for r in results), "\n".join(lines) + "\n" + disagreements(results)


def test_command_line_agrees(oracle, tmp_path, run_cli):
    """End to end: `tfllint --target cpu --format json` on the copies (not the sweep) says
    can_run exactly where the runtime loads the model, and TFL302 where it does not."""
    cases = [c for c in all_cases() if c.group != "sweep"]
    paths = {}
    for number, case in enumerate(cases):
        paths[case.id] = tmp_path / f"{number:04d}.tflite"
        paths[case.id].write_bytes(case.data)
    code, output, _ = run_cli(*paths.values(), "--target", "cpu", "--no-config",
                              "--format", "json", "--select", "TFL302")
    models = {entry["path"]: entry for entry in json.loads(output)["models"]}
    mismatches = []
    for case in cases:
        entry = models[str(paths[case.id])]
        loads = not oracle.outcomes[case.id].fails
        flagged = any(f["rule"] == "TFL302" for f in entry["findings"])
        if entry["targets"]["cpu"]["can_run"] != loads or flagged == loads:
            mismatches.append(f"{case.id}: can_run {entry['targets']['cpu']['can_run']}, "
                              f"TFL302 {flagged}; the runtime: {oracle.outcomes[case.id]}")
    assert not mismatches, "\n".join(mismatches)
    assert code == 1

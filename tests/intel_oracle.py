"""LiteRT's Intel OpenVINO compiler plugin as an oracle for npu-intel verdicts.

The `ai-edge-litert` wheel ships the plugin (vendors/intel_openvino/compiler/
libLiteRtCompilerPlugin_IntelOpenvino.so) and the tool `apply_plugin_main`. The plugin
links libopenvino.so.<NNNN>; its RUNPATH ($ORIGIN/../../../../openvino/libs) finds it in
the PyPI `openvino` wheel of the matching release. `--cmd=partition` runs only
LiteRtCompilerPluginPartition: the plugin's static op allowlist and its few checks
(subgraph inputs of rank >= 6, TOPK_V2 with a non-constant K, the composite's name). It
writes a model in which each selected run of ops is one DISPATCH_OP and the ops
themselves move into appended subgraphs, tensor names kept: an op is "selected" when its
outputs appear in an appended subgraph.

This measures agreement with LiteRT's allowlist, not with Intel's NPU compiler (its
libopenvino_intel_npu_compiler is not on PyPI; Compile fails here without it).

Used by tests/test_npu_intel_differential.py (and, for the Samsung plugin's partition step,
tests/test_target_npu_samsung.py); as a script, python tests/intel_oracle.py MODEL.tflite
[...] prints one JSON object per model. The tool runs in a child process with a timeout and
an address-space cap.
"""
from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

OPENVINO_VERSION = "2026.3.1"  # the release whose libopenvino.so.2631 the 2.3.0 plugin links
LITERT_VERSION = "2.3.0"
MANUFACTURER = "IntelOpenVINO"  # kPluginManufacturer
SOC_MODEL = "LNL"
MEMORY_CAP = 4 << 30  # RLIMIT_AS of the tool
TIMEOUT = 120
DISPATCH = "DISPATCH_OP"
STATS = re.compile(r"Partitioned subgraph<(\d+)>, selected (\d+) ops, from a total of (\d+) "
                   r"ops\. resulted in (\d+) partitions\.")
REFUSED = re.compile(r"op type (\d+) is not supported")


def _site() -> Path | None:
    try:
        import ai_edge_litert
    except ImportError:
        return None
    return Path(ai_edge_litert.__file__).resolve().parent.parent


def paths(vendor: str = "intel_openvino") -> tuple[Path, Path] | None:
    """(apply_plugin_main, the directory of the vendor's plugin), or None when the wheel
    lacks them."""
    site = _site()
    if site is None:
        return None
    tool = site / "ai_edge_litert" / "tools" / "apply_plugin_main"
    plugin_dir = site / "ai_edge_litert" / "vendors" / vendor / "compiler"
    if not tool.is_file() or not any(plugin_dir.glob("libLiteRtCompilerPlugin_*.so")):
        return None
    return tool, plugin_dir


def missing() -> str | None:
    """Why the oracle cannot run here, or None."""
    found = paths()
    if found is None:
        return (f"ai-edge-litert (with apply_plugin_main and the Intel OpenVINO plugin) is not "
                f"installed: pip install ai-edge-litert=={LITERT_VERSION}")
    site = _site()
    wanted = _needed_openvino(next(found[1].glob("libLiteRtCompilerPlugin_*.so")))
    libs = site / "openvino" / "libs"
    if wanted is None or not (libs / wanted).is_file():
        return (f"the Intel plugin links {wanted or 'libopenvino.so'}, which the installed "
                f"openvino wheel does not provide: pip install openvino=={OPENVINO_VERSION}")
    return None


def _needed_openvino(plugin: Path) -> str | None:
    """The plugin's DT_NEEDED libopenvino.so.<NNNN>, read from the file's bytes."""
    match = re.search(rb"libopenvino\.so\.\d+", plugin.read_bytes())
    return match.group().decode() if match else None


def require_oracle(needed_by: str) -> None:
    """Skip the calling test module, saying why, when the plugin cannot run."""
    import pytest

    reason = missing()
    if reason:
        pytest.skip(f"{needed_by} needs the Intel OpenVINO compiler plugin: {reason}",
                    allow_module_level=True)


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


@dataclass
class Partitioned:
    """What the plugin's partition step did with one model."""

    returncode: int
    log: str
    # (subgraph, op) -> selected; None: an op LiteRT never offers the plugin (a dropped
    # decomposition)
    selected: dict[tuple[int, int], bool | None] = field(default_factory=dict)
    # subgraph -> (ops selected, ops, partitions), from the log
    stats: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    refused_codes: list[int] = field(default_factory=list)  # "op type N is not supported"

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass(frozen=True)
class Plugin:
    """Which plugin of the wheel to run, and how."""

    vendor: str = "intel_openvino"  # its directory under ai_edge_litert/vendors/
    manufacturer: str = MANUFACTURER  # its kPluginManufacturer
    soc_model: str = SOC_MODEL
    preload: str | None = None  # a library to LD_PRELOAD into the tool


INTEL = Plugin()


def _run(command: str, model: Path, out: Path, plugin: Plugin, *flags: str):
    tool, plugin_dir = paths(plugin.vendor)
    env = {**os.environ, "LD_LIBRARY_PATH": ""}
    if plugin.preload:
        env["LD_PRELOAD"] = plugin.preload
    return subprocess.run(
        [str(tool), f"--cmd={command}", f"--model={model}", f"--o={out}",
         f"--soc_manufacturer={plugin.manufacturer}", f"--soc_model={plugin.soc_model}",
         f"--libs={plugin_dir}", "--err=-", *flags],
        capture_output=True, text=True, timeout=TIMEOUT, preexec_fn=_cap_memory, env=env)


def compile_for_cpu(model: Path, out: Path) -> bytes:
    """The model as LiteRT's AOT compile writes it for this plugin (--cmd=apply): DISPATCH_OP
    ops and the LiteRtStamp. Intel's NPU compiler is not on PyPI, so each partition is
    compiled for OpenVINO's CPU device (--intel_openvino_graph_backends=cpu); the file's
    layout is the same."""
    done = _run("apply", model, out, INTEL, "--intel_openvino_graph_backends=cpu")
    if done.returncode != 0:
        raise AssertionError(f"apply_plugin_main --cmd=apply failed ({done.returncode}):\n"
                             f"{(done.stdout + done.stderr)[-2000:]}")
    return out.read_bytes()


def partition(model: Path, plugin: Plugin = INTEL) -> Partitioned:
    """Run the plugin's partition step on `model`; map every op back to the input model."""
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "partitioned.tflite"
        done = _run("partition", model, out, plugin)
        log = done.stdout + done.stderr
        result = Partitioned(done.returncode, log,
                             refused_codes=[int(c) for c in REFUSED.findall(log)],
                             stats={int(s): (int(n), int(t), int(p))
                                    for s, n, t, p in STATS.findall(log)})
        if done.returncode == 0 and out.is_file():
            result.selected = _map_back(model.read_bytes(), out.read_bytes(), result.stats)
    return result


def _model(data: bytes):
    from ai_edge_litert import schema_py_generated as schema

    return schema.ModelT.InitFromPackedBuf(data, 0)


def _name(tensor) -> str:
    name = tensor.name
    return name.decode() if isinstance(name, bytes) else (name or "")


def _op_keys(model, subgraph) -> list[tuple]:
    """Per op: (builtin code, output tensor names), the key that survives partitioning."""
    keys = []
    for op in subgraph.operators or []:
        code = model.operatorCodes[op.opcodeIndex]
        builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
        custom = code.customCode.decode() if isinstance(code.customCode, bytes) \
            else code.customCode
        outputs = tuple(_name(subgraph.tensors[i]) for i in
                        (op.outputs if op.outputs is not None else []))
        keys.append((builtin, custom, outputs))
    return keys


def _map_back(original: bytes, partitioned: bytes,
              stats: dict[int, tuple[int, int, int]]) -> dict[tuple[int, int], bool | None]:
    """(subgraph, op index) of the input model -> selected.

    The output holds the partitioned subgraphs, then one appended subgraph per partition
    (tensor names kept). An op is selected when an op of its code and output names is in
    an appended subgraph, and left on the CPU when one stays in the first part. LiteRT
    (compiler_plugin.cc PartitionModel) never partitions a composite's decomposition
    subgraph: it drops it when the plugin selects the composite (its ops: None, they do not
    run) and otherwise inlines it in place of the composite (the composite: False; its ops
    then get the verdict of their inlined copies). An op of a partitioned subgraph found
    nowhere was not selected (LiteRT writes no CALL_ONCE back); the number selected is
    checked against the log."""
    before, after = _model(original), _model(partitioned)
    done = sorted(stats)
    appended = sum(parts for _, _, parts in stats.values())
    if len(after.subgraphs) != len(done) + appended:
        raise AssertionError(f"the output has {len(after.subgraphs)} subgraphs; expected "
                             f"{len(done)} partitioned and {appended} appended")
    kept: Counter = Counter()
    for subgraph in after.subgraphs[:len(done)]:
        kept.update(key for key in _op_keys(after, subgraph) if key[1] != DISPATCH)
    moved: Counter = Counter()
    for subgraph in after.subgraphs[len(done):]:
        moved.update(_op_keys(after, subgraph))
    order = done + [i for i in range(len(before.subgraphs)) if i not in stats]
    verdicts: dict[tuple[int, int], bool | None] = {}
    for index in order:
        for op_index, key in enumerate(_op_keys(before, before.subgraphs[index])):
            if kept[key]:
                kept[key] -= 1
                verdicts[(index, op_index)] = False
            elif moved[key]:
                moved[key] -= 1
                verdicts[(index, op_index)] = True
            else:  # inlined (a composite), dropped (CALL_ONCE), or never offered
                verdicts[(index, op_index)] = False if index in stats else None
    chosen = sum(1 for on in verdicts.values() if on)
    if chosen != sum(selected for selected, _, _ in stats.values()):
        raise AssertionError(f"{chosen} ops mapped to partitions; the log says {stats}")
    return verdicts


# -- STABLEHLO_COMPOSITE probes -------------------------------------------------------------
# tests/builder.py writes no builtin_options_2; the composite's name lives there
# (schema.fbs: Operator.builtin_options_2 is field 12 of the Operator table, its type field
# 11; StableHLOCompositeOptions is member 21 of BuiltinOptions2, with name in slot 0 and
# decomposition_subgraph_index in slot 1).
COMPOSITE_OPTIONS = 21
OPERATOR_OPTIONS_2_TYPE, OPERATOR_OPTIONS_2 = 11, 12


def composite_model(name: str) -> bytes:
    """x -> STABLEHLO_COMPOSITE `name` (decomposition: subgraph 1, a RELU) -> y."""
    import builder

    class CompositeBuilder(builder.ModelBuilder):
        @staticmethod
        def _operator(b, op):
            if "composite" not in op:
                return builder.ModelBuilder._operator(b, op)
            text = b.CreateString(op["composite"])
            b.StartObject(5)
            b.PrependUOffsetTRelativeSlot(0, text, 0)
            b.PrependInt32Slot(1, op["decomposition"], 0)
            options = b.EndObject()
            inputs, outputs = builder._ints(b, op["inputs"]), builder._ints(b, op["outputs"])
            b.StartObject(13)
            b.PrependUint32Slot(builder.OPERATOR["opcode_index"], op["opcode"], 0)
            b.PrependUOffsetTRelativeSlot(builder.OPERATOR["inputs"], inputs, 0)
            b.PrependUOffsetTRelativeSlot(builder.OPERATOR["outputs"], outputs, 0)
            b.PrependUint8Slot(OPERATOR_OPTIONS_2_TYPE, COMPOSITE_OPTIONS, 0)
            b.PrependUOffsetTRelativeSlot(OPERATOR_OPTIONS_2, options, 0)
            return b.EndObject()

    model = CompositeBuilder()
    main, body = model.subgraph("main"), model.subgraph("decomposition")
    x, y = main.tensor("x", [1, 8]), main.tensor("y", [1, 8])
    main.op("STABLEHLO_COMPOSITE", [x], [y])
    main.operators[-1].update(composite=name, decomposition=1)
    main.inputs, main.outputs = [x], [y]
    a, b = body.tensor("a", [1, 8]), body.tensor("b", [1, 8])
    body.op("RELU", [a], [b])
    body.inputs, body.outputs = [a], [b]
    return model.build()


def main(argv: list[str]) -> int:
    """python tests/intel_oracle.py MODEL.tflite [...]: one JSON object per model."""
    import json

    reason = missing()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    for name in argv:
        result = partition(Path(name))
        print(json.dumps({"model": name, "returncode": result.returncode,
                          "stats": {str(k): v for k, v in result.stats.items()},
                          "refused_codes": result.refused_codes,
                          "selected": [[subgraph, op, chosen] for (subgraph, op), chosen
                                       in sorted(result.selected.items())]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

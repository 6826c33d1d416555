"""Models LiteRT already compiled for an NPU (DISPATCH_OP custom ops, LiteRtStamp metadata):
recognised as compiled on the NPU target of the SoC manufacturer the stamp names (TFL305,
info), refused by another vendor's NPU target (TFL302, error), and named by TFL102's
provider table. The models are built here as LiteRT writes them
(litert/core/build_stamp.cc, dispatch_op_schema.cc, compiler_plugin.cc at
google-ai-edge/LiteRT@f67457790c9c); a real one is compiled by LiteRT's Qualcomm plugin
when the oracle extra is installed (its QNN context binary is Qualcomm's output under
Qualcomm's licence, so it is made at test time and never committed)."""
from __future__ import annotations

import resource
import subprocess
import tempfile
from pathlib import Path

import pytest
from builder import OPERATOR, ModelBuilder, _ints
from conftest import MODELS, lint_bytes, rule_locations, target_result, verdicts, view_of
from flatbuffers import flexbuffers

from tfllint.engine.rule import Location
from tfllint.targets.compiled import compiled_model, parse_stamp, read_flexbuffer_map
from tfllint.targets.profile import load_target

STAMP_FIELD = 125


def stamp(manufacturer: str, soc_model: str) -> bytes:
    """MakeBuildStamp: two NUL-padded 125-byte strings."""
    return (manufacturer.encode().ljust(STAMP_FIELD, b"\0")
            + soc_model.encode().ljust(STAMP_FIELD, b"\0"))


def dispatch_options(offset: int, size: int, name: str) -> bytes:
    """MakeDispatchOpOptions: a flexbuffer map with 64-bit scalars."""
    builder = flexbuffers.Builder(force_min_bit_width=flexbuffers.BitWidth.W64)
    with builder.Map():
        builder.UInt("bytecode_size", size)
        builder.UInt("bytecode_offset", offset)
        builder.String("name", name)
    return bytes(builder.Finish())


class DispatchBuilder(ModelBuilder):
    """The test builder, with custom options on the ops that carry them."""

    @staticmethod
    def _operator(b, op):
        if "custom_options" not in op:
            return ModelBuilder._operator(b, op)
        inputs, outputs = _ints(b, op["inputs"]), _ints(b, op["outputs"])
        options = b.CreateByteVector(op["custom_options"])
        b.StartObject(13)
        b.PrependUint32Slot(OPERATOR["opcode_index"], op["opcode"], 0)
        b.PrependUOffsetTRelativeSlot(OPERATOR["inputs"], inputs, 0)
        b.PrependUOffsetTRelativeSlot(OPERATOR["outputs"], outputs, 0)
        b.PrependUOffsetTRelativeSlot(OPERATOR["custom_options"], options, 0)
        return b.EndObject()


def compiled(manufacturer: str | None = "MediaTek", soc: str = "mt6989", *,
             cpu_op: str | None = None, bytecode: bytes = b"NPU!" * 64,
             cut: int = 0) -> bytes:
    """x -> DISPATCH_OP ("Partition_0", `bytecode` appended to the file) -> y, then
    optionally `cpu_op` left on the CPU; stamped for `manufacturer` (None: no stamp);
    `cut` bytes cut off the end of the file."""
    def build(offset: int) -> bytes:
        model = DispatchBuilder()
        main = model.subgraph()
        x, y = main.tensor("x", [1, 8]), main.tensor("y", [1, 8])
        main.op("CUSTOM", [x], [y], custom_code="DISPATCH_OP")
        main.operators[-1]["custom_options"] = dispatch_options(offset, len(bytecode),
                                                                "Partition_0")
        main.inputs, main.outputs = [x], [y]
        if cpu_op:
            z = main.tensor("z", [1, 8])
            main.op(cpu_op, [y], [z])
            main.outputs = [z]
        if manufacturer is not None:
            model.add_metadata("LiteRtStamp", stamp(manufacturer, soc))
        return model.build()

    # the options' 64-bit fields keep the flatbuffer's length whatever the offset
    length = len(build(0))
    data = build(length) + bytecode
    return data[:len(data) - cut]


# -- reading the file --------------------------------------------------------------------------

def test_the_stamp_and_the_dispatch_ops_are_read_as_litert_writes_them():
    data = compiled("Qualcomm", "SM8650", cpu_op="EXP")
    facts = compiled_model(view_of(data))
    assert facts.stamp.text == "Qualcomm SM8650"
    assert [(op.subgraph, op.op_index, op.name, op.bytecode_size) for op in facts.dispatch_ops] \
        == [(0, 0, "Partition_0", 256)]
    assert facts.dispatch_ops[0].bytecode_offset + 256 == len(data)
    assert facts.bytecode_outside() == ()
    assert compiled_model(view_of((MODELS / "cnn_int8.tflite").read_bytes())) is None


def test_a_stamp_of_another_size_is_no_stamp():
    # ParseBuildStamp: "Build stamp size mismatch"
    assert parse_stamp(stamp("Google", "Tensor_G4")).text == "Google Tensor_G4"
    assert parse_stamp(stamp("Google", "Tensor_G4")[:-1]) is None
    assert compiled_model(view_of(compiled(None))).stamp is None


def test_flexbuffer_maps_are_read_and_anything_else_is_refused():
    options = dispatch_options(1 << 40, 7, "qnn_partition_3")
    assert read_flexbuffer_map(options) == {"bytecode_offset": 1 << 40, "bytecode_size": 7,
                                            "name": "qnn_partition_3"}
    narrow = flexbuffers.Builder()
    with narrow.Map():
        narrow.Int("a", -5)
        narrow.String("b", "x")
    assert read_flexbuffer_map(bytes(narrow.Finish())) == {"a": -5, "b": "x"}
    for broken in (b"", b"\x01", options[:-3], bytes(range(40)), flexbuffers.Dumps([1, 2])):
        assert read_flexbuffer_map(broken) is None


# -- targets -----------------------------------------------------------------------------------

def test_on_the_npu_of_the_stamped_vendor_the_dispatch_op_is_compiled():
    result = target_result(compiled("MediaTek", cpu_op="EXP"), "npu-mediatek")
    assert verdicts(result) == [(0, "DISPATCH_OP", "compiled", ()),
                                (1, "EXP", "cpu", ("not-listed",))]
    assert result.model_reasons == ()
    findings = lint_bytes(compiled("MediaTek", cpu_op="EXP"), target=["npu-mediatek"],
                          ignore=["TFL107"])
    dispatch = Location(subgraph=0, op_index=0, op="DISPATCH_OP")
    assert rule_locations(findings) == {("TFL102", dispatch), ("TFL305", dispatch),
                                        ("TFL301", Location(subgraph=0, op_index=1, op="EXP"))}
    info = next(f for f in findings if f.rule == "TFL305")
    assert (info.severity, info.target) == ("info", "npu-mediatek")
    assert info.message == ("DISPATCH_OP (Partition_0, 256 bytes of bytecode) is already "
                            "compiled for LiteRT's MediaTek NPU plugin; it needs that target's "
                            "delegate or driver to run")


def test_another_vendors_npu_refuses_the_model():
    result = target_result(compiled("MediaTek"), "npu-google-tensor")
    assert verdicts(result) == [(0, "DISPATCH_OP", "cpu", ("not-listed",))]
    assert result.ops[0].reasons[0].message == (
        "DISPATCH_OP is a model already compiled for the MediaTek NPU of SoC mt6989; it runs "
        "only there, not on LiteRT's Google Tensor TPU plugin")
    assert [r.code for r in result.model_reasons] == ["npu-compiled-for-another-soc"]
    assert result.model_reasons[0].message == (
        "the model is already compiled for MediaTek mt6989 (its LiteRtStamp): its DISPATCH_OP "
        "op holds MediaTek bytecode, which only MediaTek's dispatch library runs, not "
        "LiteRT's Google Tensor TPU plugin and not the CPU")
    findings = lint_bytes(compiled("MediaTek"), target=["npu-google-tensor"],
                          ignore=["TFL107"])
    assert rule_locations(findings) == {
        ("TFL302", Location()), ("TFL102", Location(subgraph=0, op_index=0, op="DISPATCH_OP")),
        ("TFL305", Location(subgraph=0, op_index=0, op="DISPATCH_OP"))}
    assert {f.rule: f.severity for f in findings} == {"TFL302": "error", "TFL102": "warning",
                                                      "TFL305": "info"}
    recognised = next(f for f in findings if f.rule == "TFL305")
    assert recognised.target is None
    assert recognised.message.startswith(
        "the model is already compiled by LiteRT for MediaTek mt6989 (LiteRtStamp): 1 dispatch "
        "op (Partition_0, 256 bytes of bytecode); it runs only through LiteRT's CompiledModel")


def test_without_a_target_the_model_is_recognised_and_tfl102_names_the_provider():
    findings = lint_bytes(compiled("Google", "Tensor_G4"), ignore=["TFL107"])
    dispatch = Location(subgraph=0, op_index=0, op="DISPATCH_OP")
    assert rule_locations(findings) == {("TFL102", dispatch), ("TFL305", dispatch)}
    registration = next(f for f in findings if f.rule == "TFL102")
    assert registration.severity == "warning"
    assert "comes from LiteRT's ahead-of-time compile for an NPU" in registration.message
    assert "Google Tensor_G4" in next(f for f in findings if f.rule == "TFL305").message


def test_without_a_stamp_any_npu_target_takes_it_and_others_name_no_soc():
    unstamped = compiled(None)
    for target in ("npu-mediatek", "npu-google-tensor"):
        assert verdicts(target_result(unstamped, target)) == [
            (0, "DISPATCH_OP", "compiled", ())]
    gpu = target_result(unstamped, "gpu")
    assert gpu.ops[0].reasons[0].message.startswith(
        "DISPATCH_OP is a model already compiled for an NPU (LiteRT's ahead-of-time compile; "
        "the file does not say which)")
    message = next(f for f in lint_bytes(unstamped) if f.rule == "TFL305").message
    assert "the file has no LiteRtStamp naming the SoC" in message


def test_bytecode_cut_off_the_file_is_refused_by_the_loader():
    short = compiled("MediaTek", cut=10)
    result = target_result(short, "npu-mediatek")
    assert [r.code for r in result.model_reasons] == ["npu-dispatch-bytecode-outside-file"]
    size = len(short)
    assert result.model_reasons[0].tool == (
        f"dispatch op bytecode range is outside the model allocation: offset {size - 246}, "
        f"size 256, allocation size {size}")
    assert target_result(compiled("MediaTek"), "npu-mediatek").model_reasons == ()


def partitioned_only() -> bytes:
    """What LiteRT's partition step writes: a DISPATCH_OP without custom options in the
    main subgraph, the partition's ops outlined into subgraph 1, no stamp."""
    model = ModelBuilder()
    main, body = model.subgraph("main"), model.subgraph("partition")
    x, y = main.tensor("x", [1, 8]), main.tensor("y", [1, 8])
    main.op("CUSTOM", [x], [y], custom_code="DISPATCH_OP")
    main.inputs, main.outputs = [x], [y]
    a, b = body.tensor("x", [1, 8]), body.tensor("y", [1, 8])
    body.op("RELU", [a], [b])
    body.inputs, body.outputs = [a], [b]
    return model.build()


def test_the_partition_steps_output_is_not_a_compiled_model():
    facts = compiled_model(view_of(partitioned_only()))
    assert facts.without_bytecode() == facts.dispatch_ops and len(facts.dispatch_ops) == 1
    result = target_result(partitioned_only(), "npu-mediatek")
    assert [r.code for r in result.model_reasons] == ["npu-dispatch-without-bytecode"]
    assert result.model_reasons[0].message == (
        "DISPATCH_OP op 0 names no bytecode: the model is the output of LiteRT's partition "
        "step, not of its compile, and LiteRT's MediaTek NPU plugin has nothing to run for it")
    findings = lint_bytes(partitioned_only(), target=["npu-mediatek"],
                          ignore=["TFL007", "TFL107"])
    dispatch = Location(subgraph=0, op_index=0, op="DISPATCH_OP")
    assert rule_locations(findings) == {("TFL302", Location()), ("TFL102", dispatch),
                                        ("TFL305", dispatch)}
    recognised = next(f for f in findings if f.rule == "TFL305")
    assert recognised.target is None
    assert recognised.message.startswith(
        "1 DISPATCH_OP op without bytecode: the model is the output of LiteRT's partition step")


def test_the_npu_profiles_name_their_manufacturer():
    assert load_target("npu-mediatek").soc_manufacturer == "MediaTek"
    assert load_target("npu-google-tensor").soc_manufacturer == "Google"


# -- a real compiled model ---------------------------------------------------------------------

def _qnn_missing() -> str | None:
    try:
        from qnn_oracle import missing
    except ImportError as error:
        return f"tests/qnn_oracle.py cannot be imported: {error}"
    return missing()


def _cap_memory() -> None:
    limit = 4 << 30  # the HTP prepare step can grow without bound
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.skipif(_qnn_missing() is not None, reason=f"no Qualcomm oracle: {_qnn_missing()}")
def test_a_model_compiled_by_litert_for_qualcomm_is_recognised():
    from qnn_oracle import setup

    runs = {}
    with tempfile.TemporaryDirectory(prefix="litert-compiled-") as scratch:
        work = Path(scratch)
        tools = setup(work)
        for command in ("apply", "partition"):
            out = work / f"cnn_int8_sm8650_{command}.tflite"
            done = subprocess.run(
                [tools.tool, f"--cmd={command}", f"--model={MODELS / 'cnn_int8.tflite'}",
                 f"--o={out}", "--soc_manufacturer=Qualcomm", "--soc_model=SM8650",
                 f"--libs={tools.plugin_dir}", "--err=-"],
                capture_output=True, text=True, errors="replace", timeout=300,
                env={"LD_LIBRARY_PATH": tools.library_path}, preexec_fn=_cap_memory)
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
            runs[command] = out.read_bytes()
    data = runs["apply"]
    facts = compiled_model(view_of(data))
    assert facts.stamp.text == "Qualcomm SM8650"
    assert [(op.subgraph, op.op_index, op.name) for op in facts.dispatch_ops] == [
        (0, 0, "qnn_partition_0")]
    op = facts.dispatch_ops[0]
    assert op.bytecode_offset + op.bytecode_size == len(data) and op.bytecode_size > 10_000
    assert facts.bytecode_outside() == ()
    for target in ("npu-mediatek", "npu-google-tensor"):
        result = target_result(data, target)
        assert [r.code for r in result.model_reasons] == ["npu-compiled-for-another-soc"]
    findings = lint_bytes(data, ignore=["TFL107", "TFL213", "TFL507"])
    dispatch = Location(subgraph=0, op_index=0, op="DISPATCH_OP")
    assert rule_locations(findings) == {("TFL102", dispatch), ("TFL305", dispatch)}
    assert next(f for f in findings if f.rule == "TFL305").message.startswith(
        "the model is already compiled by LiteRT for Qualcomm SM8650 (LiteRtStamp): 1 "
        f"dispatch op (qnn_partition_0, {op.bytecode_size:,} bytes of bytecode)")
    # the partition step alone leaves the dispatch op without bytecode and the model unstamped
    partitioned = compiled_model(view_of(runs["partition"]))
    assert partitioned.stamp is None
    assert [(op.subgraph, op.op_index) for op in partitioned.without_bytecode()] == [(0, 0)]
    assert [r.code for r in target_result(runs["partition"], "npu-mediatek").model_reasons] \
        == ["npu-dispatch-without-bytecode"]


def test_tfl305_looks_for_the_dispatch_op_litert_writes():
    from tfllint.rules import tfl305_compiled_for_target
    from tfllint.targets.compiled import DISPATCH_OP

    assert tfl305_compiled_for_target.DISPATCH_OP == DISPATCH_OP

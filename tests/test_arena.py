"""Arena planning: exact offsets, heads and tails on tiny models, for each semantic of the
TFLite Micro greedy planner and of the LiteRT ArenaPlanner.

Figures marked "measured" are what tflite-micro's Python interpreter (0.dev20261023182759)
printed for the same model (test_arena_differential.py checks them against it live)."""
from __future__ import annotations

import struct

import numpy as np
import pytest
from builder import Appended, ModelBuilder
from builder import _ints as builder_ints
from tflite.BuiltinOptions import BuiltinOptions
from conftest import view_of

from tfllint.analyses import Analyses
from tfllint.analyses.arena import PlacedBuffers, plan_arena
from tfllint.analyses.arena_litert import best_fit
from tfllint.analyses.arena_tflm import greedy_plan, resource_variables, tflm_structs
from tfllint.analyses.lifetimes import litert_lifetimes, tflm_lifetimes

INT8 = dict(scale=[0.05], zero_point=[0])


def chain(shapes, dtype="FLOAT32", op="RELU", **tensor_kwargs) -> bytes:
    """x0 -op-> x1 -op-> ... : one op per step, tensor i of shape shapes[i]."""
    model = ModelBuilder()
    main = model.subgraph("main")
    tensors = [main.tensor(f"t{i}", shape, dtype, **tensor_kwargs)
               for i, shape in enumerate(shapes)]
    for source, target in zip(tensors, tensors[1:]):
        main.op(op, [source], [target])
    main.inputs, main.outputs = [tensors[0]], [tensors[-1]]
    return model.build()


def plan(data: bytes, planner: str):
    return plan_arena(view_of(data), planner)


# -- TFLite Micro: the greedy planner itself ------------------------------------------------

def test_greedy_time_overlap_is_inclusive_and_ties_go_last_added_first():
    # [0, 1] and [1, 2] share time 1; equal sizes: the later-added buffer is placed first
    assert greedy_plan([32, 32], [0, 1], [1, 2], [-1, -1]) == ([32, 0], 64, 0)
    assert greedy_plan([32, 32], [0, 2], [1, 3], [-1, -1]) == ([0, 0], 32, 0)


def test_greedy_places_larger_buffers_first_and_fits_later_ones_in_the_first_gap():
    sizes = [64, 48, 32, 16, 16]
    firsts, lasts = [0, 0, 1, 0, 1], [0, 5, 1, 5, 1]
    offsets, head, _ = greedy_plan(sizes, firsts, lasts, [-1] * 5)
    # A(64) at 0; B(48) overlaps A: after it; C(32) alive only at 1: before B (A is gone);
    # D(16) alive throughout: after B; E(16) at time 1: the gap between C and B
    assert offsets == [0, 64, 0, 112, 32]
    assert head == 128


def test_greedy_places_offline_buffers_first_and_fills_the_gaps_online():
    offsets, head, _ = greedy_plan([32, 32, 16], [0, 0, 0], [1, 1, 1], [64, -1, -1])
    assert offsets == [64, 0, 32]
    assert head == 96
    # fixed offsets are honoured even where they overlap
    assert greedy_plan([32, 32], [0, 0], [1, 1], [0, 16]) == ([0, 16], 48, 0)


# -- TFLite Micro: models ----------------------------------------------------------------

def test_tflm_rounds_sizes_to_16_bytes_and_matches_the_measured_head_and_tail():
    result = plan(chain([[1, 5], [1, 5]]), "tflm")
    assert result.offsets == {0: 32, 1: 0}  # 20 bytes each, planned as 32
    assert (result.head_bytes, result.tail_bytes) == (64, 800)  # measured: 64 / 800


def test_tflm_sizes_descending_with_time_overlap():
    # x(64 B) -> t1(256 B) -> t2(64 B) -> y(256 B): y, t1, t2, x in that order
    result = plan(chain([[1, 16], [1, 64], [1, 16], [1, 64]]), "tflm")
    assert result.offsets == {0: 256, 1: 0, 2: 256, 3: 0}
    assert result.head_bytes == 320
    assert result.timeline == (320, 320, 320)
    assert result.peak_op == 0
    assert [(t.index, t.bytes) for t in result.live_at_peak] == [(1, 256), (0, 64)]


def unused_tensor_model() -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x, y = main.tensor("x", [1, 4]), main.tensor("y", [1, 4])
    main.tensor("unused", [1, 64])  # lifetime (-1, -1): overlaps nothing else
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def unreached_subgraph_model() -> bytes:
    """Subgraph 1 is called by no op: TFLM still plans its tensors, at lifetime (-1, -1)."""
    model = ModelBuilder()
    main, other = model.subgraph("main"), model.subgraph("unreached")
    x, y = main.tensor("x", [1, 4]), main.tensor("y", [1, 4])
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    a, b = other.tensor("a", [1, 32]), other.tensor("b", [1, 32])
    other.op("RELU", [a], [b])
    other.inputs, other.outputs = [a], [b]
    return model.build()


def test_tflm_plans_an_unused_tensor_at_the_start_of_time():
    result = plan(unused_tensor_model(), "tflm")
    assert result.offsets == {0: 16, 1: 0, 2: 0}
    assert result.head_bytes == 256


def test_tflm_plans_a_subgraph_no_op_calls_at_the_start_of_time():
    view = view_of(unreached_subgraph_model())
    lifetimes = tflm_lifetimes(view)
    assert lifetimes.first[1] == lifetimes.last[1] == (-1, -1)
    result = plan_arena(view, "tflm")
    assert result.head_bytes == 256  # a and b (128 each) overlap at -1; x, y reuse 0..32
    assert result.timeline == (32,)


def variable_model(offline: bool) -> bytes:
    """y = x + state (a variable), with or without an offline offset for the variable."""
    builder = ModelBuilder()
    main = builder.subgraph()
    x = main.tensor("x", [1, 4])
    state = main.tensor("state", [1, 5], is_variable=True)
    y = main.tensor("y", [1, 4])
    main.op("ADD", [x, state], [y], options=("AddOptions", {}))
    main.inputs, main.outputs = [x], [y]
    if offline:
        builder.add_metadata("OfflineMemoryAllocation",
                             struct.pack("<6i", 1, 0, 3, -1, 64, -1))
    return builder.build()


def test_tflm_keeps_variables_in_the_tail_unless_offline_planned():
    online, offline = plan(variable_model(False), "tflm"), plan(variable_model(True), "tflm")
    assert online.offsets == {0: 16, 2: 0}
    # the variable's 20 bytes in the tail, 16-byte aligned: 32 more than without it
    assert offline.offsets == {0: 16, 1: 64, 2: 0}
    assert offline.head_bytes == 96
    assert online.tail_bytes - offline.tail_bytes == 32


def test_tflm_ignores_an_offline_plan_of_the_wrong_length_and_says_so():
    builder = ModelBuilder()
    main = builder.subgraph()
    x, y = main.tensor("x", [1, 4]), main.tensor("y", [1, 4])
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    builder.add_metadata("OfflineMemoryAllocation", struct.pack("<6i", 1, 0, 3, 0, 0, 0))
    result = plan(builder.build(), "tflm")
    assert result.offsets == {0: 16, 1: 0}
    assert any("3 offsets for 2 tensors" in note for note in result.notes)


def while_model() -> bytes:
    """sub0: a -WHILE-> b; cond (sub1): c -LESS(c, k)-> d; body (sub2): e -RELU-> f."""
    model = ModelBuilder()
    main, cond, body = model.subgraph("main"), model.subgraph("cond"), model.subgraph("body")
    a, b = main.tensor("a", [1, 4]), main.tensor("b", [1, 4])
    main.op("WHILE", [a], [b], options=("WhileOptions", {
        "cond_subgraph_index": 1, "body_subgraph_index": 2}))
    main.inputs, main.outputs = [a], [b]
    c = cond.tensor("c", [1, 4])
    k = cond.constant("k", np.ones((1, 4), np.float32))
    d = cond.tensor("d", [1, 4], "BOOL")
    cond.op("LESS", [c, k], [d])
    cond.inputs, cond.outputs = [c], [d]
    e, f = body.tensor("e", [1, 4]), body.tensor("f", [1, 4])
    body.op("RELU", [e], [f])
    body.inputs, body.outputs = [e], [f]
    return model.build()


def test_tflm_marks_control_flow_subgraphs_inside_the_calling_op():
    view = view_of(while_model())
    lifetimes = tflm_lifetimes(view)
    assert lifetimes.first == ((0, 1), (2, -1, 3), (4, 5))
    assert lifetimes.last == ((5, 5), (3, 3, 3), (5, 5))  # k: read, but constant
    assert lifetimes.op_scopes[0] == ((1, 5),)
    result = plan_arena(view, "tflm")
    # all 16 bytes, last-added first: f 0, e 16, d 0, c 16, b 32, a 48
    assert result.offsets == {0: 48, 1: 32}
    assert result.head_bytes == 64
    assert result.timeline == (64,)
    # the first scope at the peak: LESS running in cond (a, b, c, d alive)
    alive = {(t.subgraph, t.index) for t in result.live_at_peak}
    assert alive == {(0, 0), (0, 1), (1, 0), (1, 2)}


def mean_model() -> bytes:
    """An int8 MEAN over H and W: the kernel requests three scratch buffers."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4, 4, 8], "INT8", **INT8)
    axes = main.constant("axes", np.array([1, 2], np.int32), "INT32")
    y = main.tensor("y", [1, 8], "INT8", **INT8)
    main.op("MEAN", [x, axes], [y], options=("ReducerOptions", {"keep_dims": False}))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def test_tflm_plans_scratch_buffers_for_the_op_that_requests_them():
    result = plan(mean_model(), "tflm")
    # x 128, y 16, scratch: int32 accumulator per output (32), input iterator (16),
    # resolved axes (8 -> 16): all alive while MEAN runs
    assert result.head_bytes == 128 + 16 + 32 + 16 + 16
    assert sorted((t.index, t.bytes) for t in result.live_at_peak) == [
        (-1, 16), (-1, 16), (-1, 32), (0, 128), (2, 16)]


def conv_model(channels: int) -> bytes:
    """An int8 CONV_2D 3x3 with `channels` per-channel quantized output channels."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4, 4, 2], "INT8", **INT8)
    w = main.constant("w", np.ones((channels, 3, 3, 2), np.int8), "INT8",
                      scale=[0.05] * channels, zero_point=[0] * channels)
    b = main.constant("b", np.zeros(channels, np.int32), "INT32",
                      scale=[0.0025] * channels, zero_point=[0] * channels)
    y = main.tensor("y", [1, 4, 4, channels], "INT8", **INT8)
    main.op("CONV_2D", [x, w, b], [y], options=("Conv2DOptions", {
        "padding": 0, "stride_w": 1, "stride_h": 1}))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def test_tflm_tail_counts_per_channel_arrays():
    one, five = plan(conv_model(1), "tflm"), plan(conv_model(5), "tflm")
    assert (one.head_bytes, one.tail_bytes) == (48, 1024)  # measured: 48 / 1024
    assert (five.head_bytes, five.tail_bytes) == (112, 1056)  # measured: 112 / 1056


class StreamingBuilder(ModelBuilder):
    """ModelBuilder with VarHandleOptions, whose container and shared_name are strings
    (builder.py writes scalar options only)."""

    @staticmethod
    def _operator(b, op):
        if op["options"] is None or op["options"][0] != "VarHandleOptions":
            return ModelBuilder._operator(b, op)
        values = op["options"][1]
        strings = {slot: b.CreateString(values[name])
                   for slot, name in ((0, "container"), (1, "shared_name")) if name in values}
        b.StartObject(2)
        for slot, offset in strings.items():
            b.PrependUOffsetTRelativeSlot(slot, offset, 0)
        options = b.EndObject()
        inputs, outputs = builder_ints(b, op["inputs"]), builder_ints(b, op["outputs"])
        b.StartObject(13)
        b.PrependUint32Slot(0, op["opcode"], 0)
        b.PrependUOffsetTRelativeSlot(1, inputs, 0)
        b.PrependUOffsetTRelativeSlot(2, outputs, 0)
        b.PrependUint8Slot(3, BuiltinOptions.VarHandleOptions, 0)
        b.PrependUOffsetTRelativeSlot(4, options, 0)
        return b.EndObject()


def streaming_model(states=((3, 8),), dtype="INT8", init=True, duplicate_handle=False,
                    conv=True) -> bytes:
    """A streaming model as keyword spotters are built (pymicro-wakeword): per state
    variable of (frames, channels), VAR_HANDLE -> READ_VARIABLE, the new frame
    concatenated below the old ones, the last `frames` frames written back with
    ASSIGN_VARIABLE, and a 1x1 CONV_2D over the concatenation (RELU for float). With
    `init`, CALL_ONCE runs subgraph 1 once, which assigns every variable zeros, as the
    converter writes it; `duplicate_handle` gives the first variable a second VAR_HANDLE
    in subgraph 0 (one variable, one buffer)."""
    quantization = INT8 if dtype == "INT8" else {}
    numpy_type = np.int8 if dtype == "INT8" else np.float32
    model = StreamingBuilder()
    main = model.subgraph("main")
    initializer = model.subgraph("init") if init else None
    if init:
        main.op("CALL_ONCE", [], [], options=("CallOnceOptions", {"init_subgraph_index": 1}))
    inputs, outputs = [], []
    for number, (frames, channels) in enumerate(states):
        name = f"stream_{number}/states"
        handle = main.tensor(name, [], "RESOURCE")
        main.op("VAR_HANDLE", [], [handle], options=(
            "VarHandleOptions", {"container": "", "shared_name": name}))
        x = main.tensor(f"x{number}", [1, 1, 1, channels], dtype, **quantization)
        old = main.tensor(f"old{number}", [1, frames, 1, channels], dtype, **quantization)
        main.op("READ_VARIABLE", [handle], [old])
        joined = main.tensor(f"joined{number}", [1, frames + 1, 1, channels], dtype,
                             **quantization)
        main.op("CONCATENATION", [old, x], [joined],
                options=("ConcatenationOptions", {"axis": 1}))
        begin = main.constant(f"begin{number}", np.array([0, 1, 0, 0], np.int32), "INT32")
        end = main.constant(f"end{number}", np.array([1, frames + 1, 1, channels], np.int32),
                            "INT32")
        strides = main.constant(f"strides{number}", np.ones(4, np.int32), "INT32")
        new = main.tensor(f"new{number}", [1, frames, 1, channels], dtype, **quantization)
        main.op("STRIDED_SLICE", [joined, begin, end, strides], [new],
                options=("StridedSliceOptions", {}))
        if duplicate_handle and number == 0:
            handle = main.tensor(name + "_again", [], "RESOURCE")
            main.op("VAR_HANDLE", [], [handle], options=(
                "VarHandleOptions", {"container": "", "shared_name": name}))
        main.op("ASSIGN_VARIABLE", [handle, new], [])
        y = main.tensor(f"y{number}", [1, frames + 1, 1, 4], dtype, **quantization)
        if conv and dtype == "INT8":
            w = main.constant(f"w{number}", np.ones((4, 1, 1, channels), np.int8), "INT8",
                              scale=[0.05] * 4, zero_point=[0] * 4)
            bias = main.constant(f"b{number}", np.zeros(4, np.int32), "INT32",
                                 scale=[0.0025] * 4, zero_point=[0] * 4)
            main.op("CONV_2D", [joined, w, bias], [y], options=("Conv2DOptions", {
                "padding": 0, "stride_w": 1, "stride_h": 1}))
        else:
            y = main.tensor(f"y{number}", [1, frames + 1, 1, channels], dtype, **quantization)
            main.op("RELU", [joined], [y])
        inputs.append(x)
        outputs.append(y)
        if initializer is not None:
            handle = initializer.tensor(name + "1", [], "RESOURCE")
            initializer.op("VAR_HANDLE", [], [handle], options=(
                "VarHandleOptions", {"container": "", "shared_name": name}))
            zeros = initializer.constant(f"zeros{number}", np.zeros(
                (1, frames, 1, channels), numpy_type), dtype, **quantization)
            initializer.op("ASSIGN_VARIABLE", [handle, zeros], [])
    main.inputs, main.outputs = inputs, outputs
    return model.build()


def test_tflm_tail_holds_resource_variables():
    # measured (print_allocations, head / tail): 80 / 2192, 80 / 1840, 304 / 5360
    one = plan(streaming_model(), "tflm")
    assert (one.head_bytes, one.tail_bytes) == (80, 2192)
    # without the initializer subgraph: no CALL_ONCE, its two ops and zeros (TfLiteEvalTensor
    # 24 B each, NodeAndRegistration 64 B each, VAR_HANDLE's options and OpData...)
    without = plan(streaming_model(init=False), "tflm")
    assert (without.head_bytes, without.tail_bytes) == (80, 1840)
    three = plan(streaming_model(((3, 8), (5, 20), (1, 3))), "tflm")
    assert (three.head_bytes, three.tail_bytes) == (304, 5360)


def test_tflm_resource_variables_one_buffer_per_variable_and_a_slot_per_name():
    view = view_of(streaming_model(((3, 8), (5, 20)), duplicate_handle=True))
    variables = resource_variables(view)
    assert variables.slots == 2
    # the first ASSIGN_VARIABLE prepared of each variable, in subgraph 0: 24 and 100 bytes
    assert sorted(variables.buffers.values()) == [24, 100]
    assert all(subgraph == 0 for subgraph, _ in variables.buffers)
    assert variables.unresolved == 0


def test_tflm_assign_variable_without_a_var_handle_allocates_nothing_and_says_so():
    model = StreamingBuilder()
    main = model.subgraph()
    handle = main.tensor("handle", [], "RESOURCE")  # given by the caller, not a VAR_HANDLE
    value = main.tensor("value", [1, 8])
    main.op("ASSIGN_VARIABLE", [handle, value], [])
    main.inputs, main.outputs = [handle, value], []
    view = view_of(model.build())
    assert resource_variables(view) == (0, {}, 1)
    assert any("no VAR_HANDLE" in note for note in plan_arena(view, "tflm").notes)


def test_tflm_struct_sizes_add_up_to_the_measured_64_bit_tail_and_shrink_on_32_bit():
    host, device = tflm_structs(64), tflm_structs(32)
    # RecordingSingleArenaBufferAllocator, GreedyMemoryPlanner, RecordingMicroAllocator,
    # MicroBuiltinDataAllocator: what print_allocations' tail starts with (464 B)
    assert sum(host.allocator_objects) == 464
    assert (host.eval_tensor, host.node_and_registration, host.tflite_tensor) == (24, 64, 64)
    assert (device.eval_tensor, device.node_and_registration, device.tflite_tensor) == (
        12, 32, 40)
    assert (host.resource_variable, device.resource_variable) == (40, 20)
    with pytest.raises(ValueError, match="word size"):
        tflm_structs(16)


def test_tflm_32_bit_tail_of_a_two_op_chain():
    result = plan_arena(view_of(chain([[1, 4], [1, 4], [1, 4]])), "tflm", 32)
    assert result.word_size == 32
    # allocator objects 36 + 44 + 36 + 8, SubgraphAllocations 8, 3 TfLiteEvalTensor of
    # 12, 2 NodeAndRegistration of 32 = 232; RELU's 28-byte OpData twice, 16-aligned:
    # 304; per input and output a 4-byte pointer array (16-aligned) and a 40-byte
    # TfLiteTensor: 408 (912 on the 64-bit build)
    assert (result.head_bytes, result.tail_bytes) == (32, 408)
    (host,) = result.other_builds
    assert (host.word_size, host.head_bytes, host.tail_bytes) == (64, 32, 912)
    assert plan(chain([[1, 4], [1, 4], [1, 4]]), "tflm").other_builds[0].tail_bytes == 408


def test_tflm_32_bit_resource_variables():
    one = plan_arena(view_of(streaming_model()), "tflm", 32)
    host = plan(streaming_model(), "tflm")
    # the table (12 B) and one 20-byte entry, each 16-aligned, instead of 16 + 40; the
    # 24-byte state buffer as on the host; VAR_HANDLE's options 8 B instead of 16 and
    # ASSIGN_VARIABLE without OpData (no compression); smaller per-tensor and per-op
    # structures
    assert one.head_bytes == host.head_bytes == 80
    assert (one.tail_bytes, host.tail_bytes) == (1228, 2192)


def test_tflm_total_includes_the_planners_working_memory_for_small_models():
    result = plan(chain([[1, 4], [1, 4], [1, 4]]), "tflm")
    assert (result.head_bytes, result.tail_bytes) == (32, 912)  # measured: 32 / 912
    assert result.temp_bytes > 0
    assert result.total_bytes == result.head_bytes + result.tail_bytes + result.temp_bytes


def test_tflm_lower_bound_names_the_dynamic_shape():
    result = plan(chain([[1, 4], [1, 4]], shape_signature=[-1, 4]), "tflm")
    assert result.lower_bound is not None
    assert "'t0' [-1, 4] as [1, 4]" in result.lower_bound
    assert plan(chain([[1, 4], [1, 4]]), "tflm").lower_bound is None


# -- LiteRT ----------------------------------------------------------------------------

def test_litert_aligns_offsets_to_64_bytes_and_keeps_inputs_and_outputs():
    result = plan(chain([[1, 5], [1, 5]]), "litert")
    assert result.offsets == {0: 0, 1: 64}  # both live for the whole run, by index
    assert (result.head_bytes, result.tail_bytes) == (84, 0)


def test_litert_frees_at_the_last_reader_and_allocates_larger_first():
    # x(64) -> t1(256) -> t2(64) -> y(256). x lives throughout and goes first; then by
    # size, then allocating node: t1 (node 0), y (node 2), t2 (node 1). t1 is freed after
    # node 1 reads it, so y (from node 2) reuses its place; t2 overlaps both.
    result = plan(chain([[1, 16], [1, 64], [1, 16], [1, 64]]), "litert")
    assert result.offsets == {0: 0, 1: 64, 2: 320, 3: 64}
    assert result.head_bytes == 384
    assert result.timeline == (320, 384, 384)
    assert result.peak_op == 1


def test_litert_best_fit_takes_the_smallest_gap():
    placed = PlacedBuffers((0, 1))
    for sequence, (offset, size) in enumerate([(0, 64), (128, 64), (256, 32)]):
        placed.add((offset, sequence, size), 0, 1)
    # gaps 64..128 (64 bytes) and 192..256 (64 bytes): equal, the first wins
    assert best_fit(placed, 32, 0, 1, 64) == 64
    tight = PlacedBuffers((0, 1))
    for sequence, (offset, size) in enumerate([(0, 64), (128, 64), (224, 32)]):
        tight.add((offset, sequence, size), 0, 1)
    assert best_fit(tight, 32, 0, 1, 64) == 192  # 192..224 fits exactly; 64..128 is larger


def reshape_model() -> bytes:
    """x -RELU-> t -RESHAPE-> r -RELU-> y: r can share t's buffer."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 16])
    t = main.tensor("t", [1, 16])
    r = main.tensor("r", [4, 4])
    y = main.tensor("y", [4, 4])
    shape = main.constant("shape", np.array([4, 4], np.int32), "INT32")
    main.op("RELU", [x], [t])
    main.op("RESHAPE", [t, shape], [r])
    main.op("RELU", [r], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def test_litert_reshape_shares_its_input_buffer():
    view = view_of(reshape_model())
    assert litert_lifetimes(view, 0).shares == {2: 1}
    result = plan_arena(view, "litert")
    assert result.offsets[2] == result.offsets[1]
    assert result.head_bytes == 64 * 3


def test_litert_counts_the_im2col_temporary_of_a_3x3_conv():
    result = plan(conv_model(5), "litert")
    # x (32 B) and y (80 B) live throughout, by index; im2col: 16 output pixels x 3x3x2
    # int8 values = 288 B while the conv runs, after y at the next 64-byte boundary
    assert result.offsets == {0: 0, 3: 64}
    assert result.head_bytes == 192 + 288
    assert [(t.index, t.bytes) for t in result.live_at_peak] == [(-1, 288), (3, 80), (0, 32)]


def test_litert_puts_variables_in_the_persistent_arena():
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 5])
    first = main.tensor("state1", [1, 5], is_variable=True)
    second = main.tensor("state2", [1, 5], is_variable=True)
    y = main.tensor("y", [1, 5])
    main.op("ADD_N", [x, first, second], [y])
    main.inputs, main.outputs = [x], [y]
    result = plan(model.build(), "litert")
    assert result.tail_bytes == 64 + 20
    assert result.offsets == {0: 0, 3: 64}


def test_litert_gives_each_control_flow_subgraph_its_own_arena():
    result = plan(while_model(), "litert")
    # main and cond: two tensors alive together, the second at 64 (cond's d is 4 bools);
    # the body's input is the caller's buffer (kTfLiteCustom), only its output is planned
    assert result.subgraph_head_bytes == (80, 68, 16)
    assert result.head_bytes == 164


def test_litert_lower_bound_names_the_dynamic_shape():
    result = plan(chain([[1, 4], [1, 4]], shape_signature=[-1, 4]), "litert")
    assert "'t1' [-1, 4] as [1, 4]" in result.lower_bound


# -- the Analyses entry point ------------------------------------------------------------

def test_analyses_caches_one_plan_per_planner():
    analyses = Analyses(view_of(chain([[1, 4], [1, 4]])))
    assert analyses.arena("tflm") is analyses.arena("tflm")
    assert analyses.arena("litert").planner == "litert"
    with pytest.raises(ValueError, match="unknown arena planner"):
        analyses.arena("cuda")


def test_placed_buffers_find_exactly_the_overlapping_ones_at_sparse_times():
    rng = np.random.default_rng(7)
    spans = []
    for _ in range(200):
        first = int(rng.choice([0, 3, 10, 10_000, 2_000_000]))
        spans.append((first, first + int(rng.choice([0, 7, 9_990, 5_000_000]))))
    placed = PlacedBuffers([time for span in spans for time in span])
    for sequence, (first, last) in enumerate(spans):
        expected = sorted((offset, order, 16) for order, ((offset, _), (a, b))
                          in enumerate(zip([(o * 16, 0) for o in range(sequence)],
                                           spans[:sequence]))
                          if a <= last and first <= b)
        assert placed.overlapping(first, last) == expected
        placed.add((sequence * 16, sequence, 16), first, last)


def call_chain_model(depth: int, calls_per_level: int) -> bytes:
    """Subgraph i runs `calls_per_level` CALL_ONCE ops on subgraph i + 1, then a RELU."""
    model = ModelBuilder()
    subgraphs = [model.subgraph(f"level{i}") for i in range(depth)]
    for level, subgraph in enumerate(subgraphs):
        x, y = subgraph.tensor("x", [1, 4]), subgraph.tensor("y", [1, 4])
        if level + 1 < depth:
            for _ in range(calls_per_level):
                subgraph.op("CALL_ONCE", [], [], options=(
                    "CallOnceOptions", {"init_subgraph_index": level + 1}))
        subgraph.op("RELU", [x], [y])
        subgraph.inputs, subgraph.outputs = [x], [y]
    return model.build()


def test_tflm_marks_control_flow_nested_deeper_than_pythons_recursion_limit():
    view = view_of(call_chain_model(3000, 1))
    lifetimes = tflm_lifetimes(view)
    # going down, each level opens a scope for its CALL_ONCE and one to enter the callee,
    # so level k starts at scope 2k; coming back up, each level's RELU opens one more
    assert lifetimes.first[2999] == (2 * 2999, 2 * 2999 + 1)
    assert lifetimes.last[2999] == (2 * 2999 + 1, 2 * 2999 + 1)
    assert lifetimes.last_scope == 2 * 2999 + 1 + 2999 and not lifetimes.approximate
    # the nested lifetimes make exact placement quadratic: past the work budget the rest
    # goes end to end (test_a_plan_past_the_work_budget_...)
    result = plan_arena(view, "tflm")
    assert result.head_bytes >= 16 * 2 * 3000 // 2
    assert len(result.notes) == 1 and "put end to end" in result.notes[0]


def test_tflm_stops_re_marking_subgraphs_a_hostile_model_calls_2_to_the_40_times():
    view = view_of(call_chain_model(40, 2))
    lifetimes = tflm_lifetimes(view)
    assert lifetimes.approximate
    assert 250_000 < lifetimes.last_scope < 1_000_000
    assert any("called so many times over" in note for note in plan_arena(view, "tflm").notes)


def wide_model(outputs: int) -> bytes:
    """x -> RELU -> y_i for every i, every y_i an output: all alive together."""
    model = ModelBuilder()
    main = model.subgraph("main")
    x = main.tensor("x", [1, 4])
    ys = [main.tensor(f"y{i}", [1, 4 + i % 3]) for i in range(outputs)]
    for y in ys:
        main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], ys
    return model.build()


@pytest.mark.parametrize("planner", ["tflm", "litert"])
def test_a_plan_past_the_work_budget_is_valid_and_says_it_is_an_upper_bound(
        planner, monkeypatch):
    view = view_of(wide_model(60))
    exact = plan_arena(view, planner)
    assert exact.notes == ()
    monkeypatch.setattr(PlacedBuffers, "WORK_BUDGET", 200)
    bounded = plan_arena(view, planner)
    [note] = bounded.notes
    assert note.endswith("were put end to end after the rest: the arena is an upper bound")
    assert bounded.head_bytes >= exact.head_bytes
    # still a layout: no two tensors alive at one op share a byte
    tensors = view.main.tensors
    spans = sorted((offset, offset + tensors[t].byte_size) for t, offset
                   in bounded.offsets.items())
    assert all(end <= next_start for (_, end), (next_start, _) in zip(spans, spans[1:]))


def dequantize_reshape_model() -> bytes:
    """w = DEQUANTIZE(float16 constant) -> r = RESHAPE(w) -> y = x + r."""
    model = ModelBuilder()
    main = model.subgraph()
    half = main.constant("half", np.ones((1, 256), np.float16), "FLOAT16")
    w = main.tensor("w", [1, 256])
    shape = main.constant("shape", np.array([16, 16], np.int32), "INT32")
    r, x, y = (main.tensor(name, [16, 16]) for name in ("r", "x", "y"))
    main.op("DEQUANTIZE", [half], [w], version=3)
    main.op("RESHAPE", [w, shape], [r])
    main.op("ADD", [x, r], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def test_litert_does_not_share_a_persistent_buffer_in_place():
    # w, dequantized once from a constant, is persistent; RESHAPE may not write r over it,
    # so r gets its own buffer, held to the end (its reads were counted on w)
    result = plan(dequantize_reshape_model(), "litert")
    assert (result.head_bytes, result.tail_bytes) == (3072, 1024)
    assert result.offsets == {3: 1024, 4: 0, 5: 2048}  # r, x, y; as LiteRT lays them out


def test_litert_names_kernels_whose_temporaries_it_does_not_count():
    model = ModelBuilder()
    main = model.subgraph()
    x, y = main.tensor("x", [1, 8, 8, 4]), main.tensor("y", [1, 8, 8, 4])
    weights = main.tensor("w", [4, 3, 3, 4], "INT8", data=bytes(144), scale=[0.1] * 4,
                          zero_point=[0] * 4)
    main.op("CONV_2D", [x, weights], [y], version=2,
            options=("Conv2DOptions", dict(padding=0, stride_w=1, stride_h=1)))
    main.inputs, main.outputs = [x], [y]
    assert plan(model.build(), "litert").notes == (
        "the temporaries these kernels add are not counted: hybrid CONV_2D",)


def appended_constant_model() -> bytes:
    """y = x + w, with w's 1 KiB of data stored after the flatbuffer (Buffer.offset)."""
    model = ModelBuilder()
    main = model.subgraph()
    x, y = main.tensor("x", [1, 256]), main.tensor("y", [1, 256])
    w = main.tensor("w", [1, 256], data=Appended(np.ones((1, 256), np.float32).tobytes()))
    main.op("ADD", [x, w], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def test_tflm_plans_constant_data_stored_after_the_flatbuffer_as_an_activation():
    result = plan(appended_constant_model(), "tflm")
    assert sorted(result.offsets) == [0, 1, 2]  # x, y and w: TFLM does not read w's data
    assert result.notes == (
        "constant data stored outside the flatbuffer's buffers ('w'): TFLM does not read "
        "it, so it plans these tensors as activations and runs them uninitialised",)
    assert plan(appended_constant_model(), "litert").offsets.keys() == {0, 1}


def subgraph_variable_model(offsets: list[int]) -> bytes:
    """Subgraph 0 (x, y) CALL_ONCEs subgraph 1, whose variable v (its tensor 0, tensor 2
    of the model) RELU reads; `offsets` is the OfflineMemoryAllocation of all four."""
    model = ModelBuilder()
    main, init = model.subgraph("main"), model.subgraph("init")
    x, y = main.tensor("x", [1, 16]), main.tensor("y", [1, 16])
    main.op("CALL_ONCE", [], [], options=("CallOnceOptions", {"init_subgraph_index": 1}))
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    v, w = init.tensor("v", [1, 64], is_variable=True), init.tensor("w", [1, 64])
    init.op("RELU", [v], [w])
    model.add_metadata("OfflineMemoryAllocation",
                       struct.pack(f"<3i{len(offsets)}i", 1, 0, len(offsets), *offsets))
    return model.build()


def test_tflm_looks_up_a_subgraph_variables_offline_offset_by_its_local_index():
    # v is tensor 0 of subgraph 1 and tensor 2 of the model: planned at offset 0 (its
    # position), and also allocated in the tail (nothing at offsets[0]), as TFLM does
    both, none = plan(subgraph_variable_model([-1, -1, 0, -1]), "tflm"), \
        plan(subgraph_variable_model([-1, -1, -1, -1]), "tflm")
    assert both.tail_bytes == none.tail_bytes
    assert both.head_bytes == none.head_bytes + 256
    [note] = both.notes
    assert note.startswith("TFLM looks up a variable's offline offset by its index within "
                           "its subgraph") and "'v' (subgraph 1)" in note
    assert none.notes == ()

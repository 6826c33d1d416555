"""tfllint's LiteRT arena plan against the LiteRT interpreter's real tensor addresses.

For every sample model LiteRT allocates (and the tiny models of test_arena.py), the
interpreter runs with the builtin kernels only (BUILTIN_WITHOUT_DEFAULT_DELEGATES: the
ArenaPlanner lays out every tensor; XNNPACK would take the graph over) and reports each
tensor's data address (`interpreter.tensor(i)()`). Relative to the lowest address among
the tensors tfllint plans, every planned tensor of subgraph 0 must sit at tfllint's
offset, and where there is no persistent arena the arena's end (over the model's tensors
and the kernels' temporaries) must be tfllint's head.

KNOWN_DIFFERENCES lists models where tfllint cannot agree, with the reason.

Needs `ai-edge-litert` (the oracle extra).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ai_edge_litert", reason="the LiteRT arena differential test needs "
                    "ai-edge-litert (pip install ai-edge-litert)")

from conftest import SAMPLE_MODELS, view_of  # noqa: E402

from tfllint.analyses.arena import plan_arena  # noqa: E402

KNOWN_DIFFERENCES = {
    # Two 512-byte tensors allocated at node 0 (the FULLY_CONNECTED output and its int32
    # accumulator temporary) compare equal in CreateTensorAllocationVector; libstdc++'s
    # std::sort places the temporary first, tfllint keeps tensor index order, so the two
    # swap offsets (the head is the same).
    "dense_dynamic_range": "equal-sized tensors of one node in std::sort's order",
    # LiteRT's WHILE kernel drops the outputs nothing reads and re-plans subgraph 0 around
    # the body's buffers; tfllint plans subgraph 0 as a plain graph (arena_litert.py).
    "while_loop": "WHILE's bookkeeping in the caller's arena is not modelled",
}

PROBE = r'''
import json, sys
from ai_edge_litert.interpreter import Interpreter, OpResolverType
interpreter = Interpreter(
    model_path=sys.argv[1],
    experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
interpreter.allocate_tensors()
addresses = {}
for detail in interpreter.get_tensor_details():
    try:
        array = interpreter.tensor(detail["index"])()
    except ValueError:  # no data (constants without a buffer, dynamic tensors)
        continue
    addresses[detail["index"]] = [array.__array_interface__["data"][0], array.nbytes]
print(json.dumps(addresses))
'''


def real_addresses(path: Path) -> dict[int, tuple[int, int]] | None:
    done = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        return None
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return {int(index): (address, size) for index, (address, size) in found.items()}


def models() -> dict[str, bytes]:
    import test_arena as tiny

    found = {path.stem: path.read_bytes() for path in SAMPLE_MODELS}
    found["tiny:reshape"] = tiny.reshape_model()  # shapes LiteRT's kernels agree with
    found["tiny:conv_5_channels"] = tiny.conv_model(5)
    found["tiny:dequantize_reshape"] = tiny.dequantize_reshape_model()
    return found


@pytest.fixture(scope="module")
def comparisons(tmp_path_factory):
    root = tmp_path_factory.mktemp("litert")
    results = {}
    for name, data in models().items():
        path = root / f"{name.replace(':', '_')}.tflite"
        path.write_bytes(data)
        view = view_of(data)
        plan = plan_arena(view, "litert")
        addresses = real_addresses(path)
        if addresses is None:
            results[name] = None
            continue
        planned = {t: o for t, o in plan.offsets.items() if t in addresses}
        base = min(addresses[t][0] for t in planned)
        real = {t: addresses[t][0] - base for t in planned}
        # the arena's end: over every non-constant tensor, the kernels' temporaries
        # (indices past the model's) included
        tensors = view.main.tensors
        ends = [address - base + size for t, (address, size) in addresses.items()
                if (t >= len(tensors) or not tensors[t].is_constant) and size
                and 0 <= address - base < 2 * plan.head_bytes]
        results[name] = (plan, planned, real, max(ends))
    return results


def test_litert_allocates_the_sample_models_tfllint_expects(comparisons):
    assert sorted(name for name, found in comparisons.items() if found is None) == [
        "flex_op"]


def test_every_planned_tensor_sits_at_tfllints_offset(comparisons):
    wrong = {}
    for name, found in comparisons.items():
        if found is None:
            continue
        _, planned, real, _ = found
        moved = {t: (planned[t], real[t]) for t in planned if planned[t] != real[t]}
        if bool(moved) != (name in KNOWN_DIFFERENCES):
            wrong[name] = moved
    assert wrong == {}


def test_head_is_the_real_arenas_end(comparisons):
    """Where LiteRT keeps nothing in its persistent arena (whose buffer may sit right
    after the arena), the highest tensor end is the arena's size."""
    wrong = {}
    for name, found in comparisons.items():
        if found is None or name in KNOWN_DIFFERENCES or found[0].tail_bytes:
            continue
        plan, _, _, end = found
        if end != plan.head_bytes:
            wrong[name] = (plan.head_bytes, end)
    assert wrong == {}

"""tfllint's TFLite Micro arena plan against the tflite-micro interpreter (the real TFLM).

For every sample model in models/ that the interpreter loads, and for the tiny models of
test_arena.py, the interpreter (RecordingMicroAllocator) prints its allocations
(print_allocations: total, head, tail), and a binary search over arena_size finds the
smallest arena with which AllocateTensors succeeds. Compared with tfllint's "tflm" plan:

* head: equal to the printed head, byte for byte. The planner's semantics allow it for
  every model here: their kernels request no scratch buffers that tfllint cannot see
  (optimized kernel libraries such as CMSIS-NN request more; the wheel has reference
  kernels only). KNOWN_HEAD_DIFFERENCES lists exceptions with the reason; none today.
* tail: equal to the printed tail (the 64-bit build's struct sizes,
  rules/data/tflm_struct_sizes.toml, and kernels' allocations,
  tfllint/analyses/tflm_kernels.py), resource variables included.
* total (head + tail + the planner's temp peak): within 2% of the smallest arena that
  works.

Every probe runs in a subprocess (a failed TFLITE_CHECK aborts the process). The search
is bounded (between half and twice the figures, about 15 probes), the models are
searched in parallel, and results are cached per model and interpreter version in
pytest's cache (.pytest_cache), so a second run costs almost nothing. Run this file as a
script to print the per-model table.

Needs the PyPI package `tflite-micro` (tests/tflm_oracle.py names the version tested).
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

import pytest
from tflm_oracle import Measured, measure, require_interpreter

require_interpreter("the arena differential test")

from conftest import SAMPLE_MODELS, view_of  # noqa: E402

from tfllint.analyses.arena import plan_arena  # noqa: E402

TOLERANCE = 0.02
KNOWN_HEAD_DIFFERENCES: dict[str, str] = {}  # model -> why the heads cannot agree


def tiny_models() -> dict[str, bytes]:
    import test_arena as tiny

    return {"tiny:chain": tiny.chain([[1, 16], [1, 64], [1, 16], [1, 64]]),
            "tiny:alignment": tiny.chain([[1, 5], [1, 5]]),
            "tiny:while": tiny.while_model(),
            "tiny:unused_tensor": tiny.unused_tensor_model(),
            "tiny:unreached_subgraph": tiny.unreached_subgraph_model(),
            "tiny:variable": tiny.variable_model(offline=False),
            "tiny:offline_variable": tiny.variable_model(offline=True),
            "tiny:mean_scratch": tiny.mean_model(),
            "tiny:conv_5_channels": tiny.conv_model(5),
            "tiny:appended_constant": tiny.appended_constant_model(),
            "tiny:subgraph_variable": tiny.subgraph_variable_model([-1, -1, 0, -1]),
            **streaming_models()}


def streaming_models() -> dict[str, bytes]:
    """Streaming models with resource variables (VAR_HANDLE, READ_VARIABLE,
    ASSIGN_VARIABLE, CALL_ONCE), as keyword spotters are built."""
    import test_arena as tiny

    return {"streaming:one_state": tiny.streaming_model(),
            "streaming:no_initializer": tiny.streaming_model(init=False),
            "streaming:three_states": tiny.streaming_model(((3, 8), (5, 20), (1, 3))),
            "streaming:second_handle": tiny.streaming_model(((3, 8), (5, 20)),
                                                            duplicate_handle=True),
            "streaming:float": tiny.streaming_model(((2, 6), (4, 10)), dtype="FLOAT32"),
            # the state shapes of pymicro-wakeword's hey_jarvis
            "streaming:wakeword_states": tiny.streaming_model(
                ((2, 40), (4, 30), (8, 60), (12, 60), (20, 60), (4, 60)))}


def all_models() -> dict[str, bytes]:
    models = {path.stem: path.read_bytes() for path in SAMPLE_MODELS}
    models.update(tiny_models())
    return models


def compare(cache=None) -> dict[str, tuple[object, Measured | None]]:
    """model -> (tfllint's plan, what TFLM measured or None when it refuses the model)."""
    version = metadata.version("tflite-micro")
    models = all_models()
    plans = {name: plan_arena(view_of(data), "tflm") for name, data in models.items()}
    with tempfile.TemporaryDirectory() as scratch:
        def run(name: str) -> tuple[str, Measured | None]:
            data = models[name]
            key = f"tfllint/arena-oracle/{version}/{hashlib.sha256(data).hexdigest()}"
            if cache is not None:
                hit = cache.get(key, None)
                if hit is not None:
                    return name, Measured(**hit) if hit else None
            path = Path(scratch) / f"{name.replace(':', '_')}.tflite"
            path.write_bytes(data)
            found = measure(path, plans[name].total_bytes)
            if cache is not None:
                cache.set(key, asdict(found) if found else {})
            return name, found

        with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
            measured = dict(pool.map(run, models))
    return {name: (plans[name], measured[name]) for name in models}


def table(results) -> str:
    rows = ["model | tfllint head / tail / temp / total | TFLM head / tail / total | "
            "smallest arena | total vs smallest"]
    for name, (plan, real) in results.items():
        if real is None:
            rows.append(f"{name} | {plan.head_bytes} / {plan.tail_bytes} / "
                        f"{plan.temp_bytes} / {plan.total_bytes} | TFLM refuses the "
                        f"model | - | -")
            continue
        error = (plan.total_bytes - real.minimum) / real.minimum
        rows.append(f"{name} | {plan.head_bytes} / {plan.tail_bytes} / {plan.temp_bytes} / "
                    f"{plan.total_bytes} | {real.head} / {real.tail} / {real.total} | "
                    f"{real.minimum} | {error:+.1%}")
    return "\n".join(rows)


@pytest.fixture(scope="module")
def results(request):
    found = compare(getattr(request.config, "cache", None))  # None under -p no:cacheprovider
    print("\n" + table(found))
    return found


def test_tflm_loads_the_sample_models_tfllint_expects(results):
    refused = sorted(name for name, (_, real) in results.items() if real is None)
    # float16 weights (DEQUANTIZE of FLOAT16), a hybrid FULLY_CONNECTED, a Flex op
    assert refused == ["cnn_float16", "dense_dynamic_range", "flex_op"]


def test_head_matches_print_allocations(results):
    wrong = {name: (plan.head_bytes, real.head) for name, (plan, real) in results.items()
             if real is not None and plan.head_bytes != real.head
             and name not in KNOWN_HEAD_DIFFERENCES}
    assert wrong == {}
    fixed = [name for name in KNOWN_HEAD_DIFFERENCES
             if results[name][1] is not None and results[name][0].head_bytes ==
             results[name][1].head]
    assert fixed == []


def test_tail_matches_print_allocations(results):
    wrong = {name: (plan.tail_bytes, real.tail) for name, (plan, real) in results.items()
             if real is not None and plan.tail_bytes != real.tail}
    assert wrong == {}


def test_total_is_within_two_percent_of_the_smallest_arena_that_works(results):
    wrong = {name: (plan.total_bytes, real.minimum) for name, (plan, real) in results.items()
             if real is not None
             and abs(plan.total_bytes - real.minimum) > TOLERANCE * real.minimum}
    assert wrong == {}


if __name__ == "__main__":  # print the per-model table (no cache)
    sys.path.insert(0, str(Path(__file__).parent))
    print(table(compare()))

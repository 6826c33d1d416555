"""Tiny LLM-shaped models for the TFL7xx (generative) examples and tests, built as
litert-torch exports them: a "prefill" and a "decode" signature over one subgraph each,
inputs tokens / input_pos / mask and kv_cache_k_<i> / kv_cache_v_<i>, outputs logits and
the updated caches under the same names.
"""
from __future__ import annotations

import numpy as np

from builder import ModelBuilder

VOCABULARY, WIDTH, CONTEXT = 8, 64, 16


def int4_packed(values: np.ndarray) -> bytes:
    """INT4 values two to a byte, the first in the low nibble (as TFLite packs them)."""
    flat = (values.astype(np.int8).reshape(-1) & 0xF).astype(np.uint8)
    if flat.size % 2:
        flat = np.append(flat, np.uint8(0))
    return (flat[0::2] | (flat[1::2] << 4)).astype(np.uint8).tobytes()


def llm(*, signatures: tuple[str, ...] = ("prefill", "decode"), names: dict | None = None,
        layers: int = 1, kv_outputs: dict | None = None, dynamic: bool = False,
        dynamic_mask: bool | None = None, weights: str = "FLOAT32",
        blockwise: dict | None = None, logits_rank: int = 3,
        int64_positions: bool = False, prefill_logits: bool = True) -> bytes:
    """An LLM-shaped model.

    `names` renames I/O (e.g. {"logits": "output"}); `kv_outputs` renames cache outputs
    ({"kv_cache_v_0": "kv_cache_v_0_out"}) or drops them (None); `dynamic` makes the
    sequence length of tokens / input_pos -1 in the prefill signature, `dynamic_mask` that
    of the mask (default: as `dynamic`); `weights` "INT4" makes the logits projection a
    dynamic-range FULLY_CONNECTED with block-wise INT4 weights, whose `blockwise`
    settings ("block", "scale_dtype", "scales", "dtype") can be spoiled;
    `int64_positions` makes input_pos INT64 (as a PyTorch export without a cast does);
    without `prefill_logits` the prefill signature outputs the caches only (litert-torch's
    default).
    """
    names = names or {}
    kv_outputs = kv_outputs or {}
    model = ModelBuilder()
    blockwise = blockwise or {}
    for key in signatures:
        steps = 4 if key.startswith("prefill") else 1
        _step(model, key, steps, names, layers, kv_outputs,
              dynamic and steps > 1,
              (dynamic if dynamic_mask is None else dynamic_mask) and steps > 1,
              weights, blockwise, logits_rank, int64_positions,
              prefill_logits or steps == 1)
    return model.build()


def _step(model: ModelBuilder, key: str, steps: int, names: dict, layers: int,
          kv_outputs: dict, dynamic: bool, dynamic_mask: bool, weights: str,
          blockwise: dict, logits_rank: int, int64_positions: bool,
          output_logits: bool) -> None:
    graph = model.subgraph(key)
    sequence = -1 if dynamic else steps

    def name(default: str) -> str:
        return names.get(default, default)

    tokens = graph.tensor(name("tokens"), [1, steps], "INT32",
                          shape_signature=[1, sequence] if dynamic else None)
    positions = graph.tensor(name("input_pos"), [steps],
                             "INT64" if int64_positions else "INT32",
                             shape_signature=[sequence] if dynamic else None)
    mask = graph.tensor(name("mask"), [1, 1, steps, CONTEXT],
                        shape_signature=[1, 1, -1, CONTEXT] if dynamic_mask else None)
    table = graph.constant("embedding", np.linspace(-1, 1, VOCABULARY * WIDTH, dtype=np.float32)
                           .reshape(VOCABULARY, WIDTH))
    embedded = graph.tensor("embedded", [1, steps, WIDTH])
    graph.op("GATHER", [table, tokens], [embedded], options=("GatherOptions", {"axis": 0}))
    position_table = graph.constant("position_embedding", np.linspace(
        0, 1, CONTEXT * WIDTH, dtype=np.float32).reshape(CONTEXT, WIDTH))
    placed = graph.tensor("position_embedded", [steps, WIDTH])
    graph.op("GATHER", [position_table, positions], [placed],
             options=("GatherOptions", {"axis": 0}))
    hidden = graph.tensor("hidden", [1, steps, WIDTH])
    graph.op("ADD", [embedded, placed], [hidden])
    projection = _projection(graph, weights, blockwise)
    logits_shape = [1, steps, VOCABULARY] if logits_rank == 3 else [steps, VOCABULARY]
    logits = graph.tensor(name("logits"), logits_shape)
    graph.op("FULLY_CONNECTED", [hidden, projection, -1], [logits],
             options=("FullyConnectedOptions", {"keep_num_dims": logits_rank == 3}))
    inputs = {name("tokens"): tokens, name("input_pos"): positions, name("mask"): mask}
    outputs = {name("logits"): logits} if output_logits else {}
    step = graph.constant("step", np.ones([1, 1, 1, 1], dtype=np.float32))
    for layer in range(layers):
        for kind, heads in (("k", 4), ("v", 2)):  # shapes differ: no ambiguous order
            cache_name = f"kv_cache_{kind}_{layer}"
            output_name = kv_outputs.get(cache_name, cache_name)
            cache = graph.tensor(cache_name, [1, CONTEXT, 1, heads])
            written = graph.tensor(output_name or f"{cache_name}_dropped",
                                   [1, CONTEXT, 1, heads])
            graph.op("MUL", [cache, step], [written])
            inputs[cache_name] = cache
            if output_name is not None:
                outputs[output_name] = written
    # in the order LiteRT lists a signature's names (sorted), as litert-torch writes them
    inputs, outputs = dict(sorted(inputs.items())), dict(sorted(outputs.items()))
    graph.inputs, graph.outputs = list(inputs.values()), list(outputs.values())
    model.signature(key, inputs, outputs, subgraph=len(model.subgraphs) - 1)


def _projection(graph, weights: str, blockwise: dict) -> int:
    values = np.resize(np.array([1, -2, 3, -4, 5, -6, 7, -8]), [VOCABULARY, WIDTH])
    if weights == "FLOAT32":
        return graph.constant("projection", values.astype(np.float32) / 8)
    block = blockwise.get("block", 32)
    blocks = WIDTH // block if block > 0 and WIDTH % block == 0 else 1
    scale_count = blockwise.get("scales", VOCABULARY * blocks)
    scale_values = np.full(scale_count, blockwise.get("scale", 0.125))
    scale_dtype = blockwise.get("scale_dtype", "FLOAT16")
    scale_shape = [VOCABULARY, scale_count // VOCABULARY] \
        if scale_count % VOCABULARY == 0 else [scale_count]
    scales = graph.tensor("projection_scales", scale_shape, scale_dtype,
                          data=scale_values.astype(
                              np.float16 if scale_dtype == "FLOAT16" else np.float32))
    dtype = blockwise.get("dtype", "INT4")
    data = int4_packed(values) if dtype == "INT4" else values.astype(np.int8).tobytes()
    return graph.tensor("projection", [VOCABULARY, WIDTH], dtype, data=data,
                        blockwise=(scales, -1, block))


def blockwise_fully_connected(units: int, depth: int, block: int = 32) -> bytes:
    """x [1, depth] -> FULLY_CONNECTED with block-wise INT4 weights [units, depth] (scales
    0.125) -> y [1, units]."""
    model = ModelBuilder()
    graph = model.subgraph()
    x = graph.tensor("x", [1, depth])
    values = np.resize(np.array([1, -2, 3, -4, 5, -6, 7, -1]), [units, depth])
    blocks = depth // block
    scales = graph.tensor("scales", [units, blocks], "FLOAT16",
                          data=np.full(units * blocks, 0.125, np.float16))
    weights = graph.tensor("weights", [units, depth], "INT4", data=int4_packed(values),
                           blockwise=(scales, -1, block))
    y = graph.tensor("y", [1, units])
    graph.op("FULLY_CONNECTED", [x, weights, -1], [y])
    graph.inputs, graph.outputs = [x], [y]
    model.signature("serving_default", {"x": x}, {"y": y})
    return model.build()

"""Generative models: block-wise quantization as the reader decodes it and XNNPACK takes
it, the LiteRT-LM contract rules (TFL701-TFL705) on built LLM-shaped models, every target
on those models, and LiteRT itself on the block-wise examples."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from builder import ModelBuilder
from conftest import lint_bytes, rule_locations, target_result

from tfllint.errors import ModelReadError
from tfllint.engine.rule import Location
from tfllint.model import Blockwise
from tfllint.reader import decode_model
from tfllint.targets.profile import builtin_profile_names

sys.path.insert(0, str(Path(__file__).parent / "rule_examples"))
from _generative import blockwise_fully_connected, llm  # noqa: E402

PREVIEW = {"runtime-version": "2.21", "preview": True}


def findings(data: bytes, **settings) -> set:
    return rule_locations(lint_bytes(data, **{**PREVIEW, **settings}))


def messages(data: bytes, rule: str, **settings) -> list[str]:
    return [f.message for f in lint_bytes(data, **{**PREVIEW, **settings}) if f.rule == rule]


# -- the reader -------------------------------------------------------------------------

def test_the_reader_decodes_blockwise_details():
    model = decode_model(llm(weights="INT4", blockwise={"block": 64}))
    weights = model.subgraphs[0].tensors[9]
    assert weights.name == "projection" and weights.dtype == "INT4"
    assert weights.quantization.details == "BlockwiseQuantization"
    assert weights.quantization.blockwise == Blockwise(scales=8, zero_points=-1, block_size=64)
    assert model.subgraphs[0].tensors[8].name == "projection_scales"


def test_a_scales_index_outside_the_subgraph_is_one_clear_error():
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 64])
    w = main.tensor("w", [8, 64], "INT4", data=bytes(256), blockwise=(7, -1, 32))
    y = main.tensor("y", [1, 8])
    main.op("FULLY_CONNECTED", [x, w, -1], [y])
    main.inputs, main.outputs = [x], [y]
    with pytest.raises(ModelReadError, match="subgraph 0 tensor 1 blockwise scales tensor "
                                             "index is 7, but there are only 3"):
        decode_model(model.build())


def test_blockwise_scales_are_not_reported_as_unused_constants():
    assert findings(llm(weights="INT4")) == set()


# -- XNNPACK ----------------------------------------------------------------------------

def xnnpack_reasons(**blockwise) -> list[tuple[str, str, str]]:
    result = target_result(llm(weights="INT4", blockwise=blockwise), "xnnpack")
    [verdict] = [v for v in result.ops if v.subgraph == 0 and v.op == "FULLY_CONNECTED"]
    return [(verdict.verdict, reason.code, reason.tool) for reason in verdict.reasons]


def test_xnnpack_takes_int4_blocks_of_32_with_positive_float16_scales():
    assert xnnpack_reasons() == []
    assert xnnpack_reasons(block=64) == []


@pytest.mark.parametrize("blockwise, tool", [
    ({"block": 16}, "Blocksize 16 must be multiple of 32 in tensor #9 in node #3"),
    ({"dtype": "INT8"}, "unsupported tensor type 9 for blockwise quantized tensor 9 in "
                        "XNNPACK delegate"),
    ({"scale": 0.0}, "unsupported scale value (0.000000) in channel 0 for INT4 tensor 9 in "
                     "XNNPACK delegate"),
    ({"scale": -0.5}, "unsupported scale value (-0.500000) in channel 0 for INT4 tensor 9 in "
                      "XNNPACK delegate"),
    ({"scales": 8}, "Unsupported combination of filter elements 512 number of scales 8 and "
                    "blocksize 32 for projection tensor 9 in XNNPACK delegate"),
])
def test_xnnpack_refuses_other_blockwise_weights_with_its_words(blockwise, tool):
    assert xnnpack_reasons(**blockwise) == [("cpu", "xnnpack-blockwise", tool)]


# -- the LiteRT-LM contract -------------------------------------------------------------

def test_a_litert_torch_shaped_model_fires_nothing():
    for model in (llm(), llm(weights="INT4"), llm(layers=3), llm(dynamic=True),
                  llm(prefill_logits=False, dynamic=True),
                  llm(signatures=("prefill_8", "prefill_128", "decode"))):
        assert findings(model, ignore=["TFL501", "TFL503"]) == set()


def test_models_that_do_not_look_generative_are_left_alone():
    model = ModelBuilder()
    main = model.subgraph()
    x, y = main.tensor("x", [1, 4]), main.tensor("y", [1, 4])
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    model.signature("serving_default", {"x": x}, {"logits": y})  # a classifier's logits
    assert findings(model.build(), select=["TFL7"]) == set()


def test_missing_signatures_are_named_with_litert_lm_words():
    texts = messages(llm(signatures=("serving_default",)), "TFL701")
    assert sorted(texts) == [
        "no 'decode' signature (the model has 'serving_default'): LiteRT-LM looks it up by "
        "this key to pick the model family and to run each generated token",
        "no signature key starts with 'prefill' (the model has 'serving_default'): LiteRT-LM "
        "stops with \"Prefill signature not found.\""]
    assert findings(llm(signatures=("prefill",))) == {("TFL701", Location())}


def test_a_prefill_without_caches_is_refused():
    model = llm(layers=0)
    assert findings(model, select=["TFL7"]) == {("TFL701", Location(subgraph=0))}
    assert "\"No KV cache inputs found.\"" in messages(model, "TFL701")[0]


def test_the_logits_must_be_batch_seq_vocab():
    assert findings(llm(logits_rank=2)) == {
        ("TFL701", Location(subgraph=1, tensor="logits", tensor_index=9))}


def test_the_family_is_picked_from_the_decode_names():
    text = messages(llm(names={"tokens": "ids"}), "TFL701")
    assert text == [
        "signature 'decode' matches no LiteRT-LM model family (\"Unsupported model "
        "signature.\"): it comes nearest to PyTorch (tokens, input_pos, mask -> logits) but "
        "lacks 'tokens'; it has inputs 'ids', 'input_pos', 'kv_cache_k_0', 'kv_cache_v_0', "
        "'mask' and outputs 'kv_cache_k_0', 'kv_cache_v_0', 'logits'"]
    gemma_jax = {"tokens": "token_ids", "input_pos": "positions", "mask": "attn_mask"}
    assert findings(llm(names=gemma_jax), ignore=["TFL503"]) == set()


def test_the_mask_is_found_by_the_decode_family_when_prefill_has_no_logits():
    model = llm(prefill_logits=False, dynamic=True, dynamic_mask=False)
    assert findings(model, select=["TFL7"]) == {
        ("TFL703", Location(subgraph=0, tensor="mask", tensor_index=2))}


def test_a_cache_that_is_not_written_back_is_named():
    model = llm(kv_outputs={"kv_cache_v_0": None}, layers=1)
    assert messages(model, "TFL702")[0].startswith(
        "signature 'prefill': cache input 'kv_cache_v_0' has no output of the same name")


def test_int64_names_the_targets_that_refuse_it():
    [text] = messages(llm(int64_positions=True), "TFL705", target=["gpu", "nnapi", "cpu"])
    assert text == ("2 INT64 tensors that are not constant: 'input_pos' (input) x2; INT64 "
                    "keeps ops off gpu (GATHER op 1), nnapi (GATHER op 1)")


# -- every target on the generative models ------------------------------------------------

@pytest.mark.parametrize("target", sorted(set(builtin_profile_names().values())))
def test_every_target_checks_the_generative_models_without_failing(target):
    for model in (llm(weights="INT4"), llm(int64_positions=True, dynamic=True),
                  llm(weights="INT4", blockwise={"block": 48, "scale": 0.0})):
        findings(model, target=[target])


# -- LiteRT on the block-wise examples ----------------------------------------------------

def litert(data: bytes, delegates: bool):
    """LiteRT's interpreter as an app gets it (XNNPACK applied), or its builtin kernels."""
    runtime = pytest.importorskip("ai_edge_litert.interpreter", reason="ai-edge-litert is not "
                                  "installed: pip install -e .[oracle] to run LiteRT")
    resolver = runtime.OpResolverType.AUTO if delegates else \
        runtime.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    return runtime.Interpreter(model_content=data, experimental_op_resolver_type=resolver)


def decode_logits(data: bytes, delegates: bool) -> np.ndarray:
    run = litert(data, delegates).get_signature_runner("decode")
    return run(tokens=np.array([[3]], np.int32), input_pos=np.array([2], np.int32),
               mask=np.zeros([1, 1, 1, 16], np.float32),
               kv_cache_k_0=np.ones([1, 16, 1, 4], np.float32),
               kv_cache_v_0=np.ones([1, 16, 1, 2], np.float32))["logits"]


@pytest.mark.parametrize("delegates", [True, False], ids=["xnnpack", "builtin"])
def test_litert_computes_wrong_logits_for_the_tfl704_example(delegates):
    import tfl704

    reference = decode_logits(llm(), delegates)
    assert np.allclose(decode_logits(tfl704.good(), delegates), reference, atol=0.01)
    wrong = decode_logits(tfl704.bad(), delegates)
    assert not np.allclose(wrong, reference, atol=0.1), (wrong, reference)


def fully_connected_output(data: bytes, delegates: bool) -> np.ndarray:
    model = litert(data, delegates)
    run = model.get_signature_runner("serving_default")
    return run(x=np.linspace(-1, 1, model.get_input_details()[0]["shape"][1],
                             dtype=np.float32)[None])["y"]


@pytest.mark.parametrize("units, depth, fires", [(8, 64, False), (4, 32, False),
                                                 (2, 64, True), (3, 32, True)])
def test_small_blockwise_weights_are_zeros_on_the_builtin_kernel(units, depth, fires):
    data = blockwise_fully_connected(units, depth)
    assert bool(messages(data, "TFL704")) == fires
    builtin = fully_connected_output(data, delegates=False)
    assert np.all(builtin == 0) == fires, builtin
    assert np.all(fully_connected_output(data, delegates=True) != 0)  # XNNPACK takes them

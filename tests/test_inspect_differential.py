"""Differential test: `tfllint inspect` against the real runtime.

tfllint reads the input/output contract from the file alone; LiteRT's
`Interpreter.get_input_details()` / `get_output_details()` / `get_signature_list()` and the
signature runners say what the runtime will actually expect. For every model in models/
(and a few hand-built models covering what the samples do not: per-channel inputs,
unsorted and multiple signatures, zero points without scales, every tensor type) both
must agree exactly, field by field, in the interpreter's order.

Only the Interpreter is constructed; tensors are never allocated, so models whose ops the
pip runtime cannot run (models/flex_op.tflite needs the Flex delegate, which fails in
allocate_tensors with "Select TensorFlow op(s) ... not supported") are still described.

Needs the `oracle` extra (ai-edge-litert); CI installs it so this really runs there.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

litert = pytest.importorskip(
    "ai_edge_litert.interpreter",
    reason="ai-edge-litert is not installed: pip install -e .[oracle] to run the "
           "differential tests of `tfllint inspect` against the real LiteRT runtime")

from builder import ModelBuilder  # noqa: E402

from tfllint.analyses import Analyses  # noqa: E402
from tfllint.cli import main  # noqa: E402
from tfllint.inspect_contract import contract_document  # noqa: E402
from tfllint.reader import read_model  # noqa: E402
from tfllint.view import ModelView  # noqa: E402

MODELS = Path(__file__).resolve().parent.parent / "models"
SAMPLE_MODELS = sorted(MODELS.glob("*.tflite"))


def test_models_directory_has_models_to_compare():
    assert SAMPLE_MODELS, f"no *.tflite in {MODELS}: the differential test would compare nothing"


# -- the runtime's side ------------------------------------------------------------------

def load_interpreter(path: Path):
    """An Interpreter for the model, or xfail with LiteRT's exact words if none will load.

    Only construction is needed for the details; if the default resolver refuses the model,
    the reference builtin resolver without default delegates is tried before giving up.
    """
    Interpreter, OpResolverType = litert.Interpreter, litert.OpResolverType
    errors = []
    for resolver in (OpResolverType.AUTO, OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES):
        try:
            return Interpreter(model_path=str(path), experimental_op_resolver_type=resolver)
        except (RuntimeError, ValueError) as error:
            errors.append(f"{resolver.name}: {type(error).__name__}: {error}")
    pytest.xfail(f"{path.name}: LiteRT cannot construct an Interpreter, nothing to compare "
                 f"against: {' | '.join(errors)}")


def signature_subgraph(interpreter, key: str) -> int | None:
    wrapper = getattr(interpreter, "_interpreter", None)
    if wrapper is None or not hasattr(wrapper, "GetSubgraphIndexFromSignature"):
        return None
    return int(wrapper.GetSubgraphIndexFromSignature(key))


# -- comparison --------------------------------------------------------------------------

def legacy_quantization(scales: list[float], zero_points: list[int]) -> tuple[float, int]:
    """The deprecated `quantization` tuple: LiteRT's GetLegacyQuantization fills it only
    for per-tensor quantization (exactly one scale and one zero point), else (0.0, 0)."""
    if len(scales) == 1 and len(zero_points) == 1:
        return (float(scales[0]), int(zero_points[0]))
    return (0.0, 0)


def compare_tensor(where: str, ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """`ours` is a tfllint tensor entry (report.tensor_entry), `theirs` a LiteRT detail."""
    def check(field: str, mine, runtime) -> None:
        assert mine == runtime, f"{where}: {field}: tfllint {mine!r} != LiteRT {runtime!r}"

    check("name", ours["name"], theirs["name"])
    check("index", ours["index"], int(theirs["index"]))
    check("dtype", ours["dtype"], np.dtype(theirs["dtype"]).name)
    check("shape", ours["shape"], [int(d) for d in theirs["shape"]])
    check("shape_signature", ours["shape_signature"],
          [int(d) for d in theirs["shape_signature"]])

    quantization, parameters = ours["quantization"], theirs["quantization_parameters"]
    runtime_scales = [np.float32(s) for s in parameters["scales"]]
    check("quantization_parameters.scales (as float32)",
          [np.float32(s) for s in quantization["scale"]], runtime_scales)
    # Exactly the float32 value, not a rounded or re-computed one.
    check("quantization_parameters.scales (exact)",
          [float(s) for s in quantization["scale"]], [float(s) for s in runtime_scales])
    check("quantization_parameters.zero_points", list(quantization["zero_point"]),
          [int(z) for z in parameters["zero_points"]])
    check("quantization_parameters.quantized_dimension", quantization["quantized_dimension"],
          int(parameters["quantized_dimension"]))
    runtime_legacy = (float(theirs["quantization"][0]), int(theirs["quantization"][1]))
    check("quantization (legacy scale, zero_point)",
          legacy_quantization(quantization["scale"], quantization["zero_point"]),
          runtime_legacy)


def compare_io(label: str, document: dict[str, Any], interpreter) -> None:
    for direction, details in (("inputs", interpreter.get_input_details()),
                               ("outputs", interpreter.get_output_details())):
        ours = document[direction]
        assert len(ours) == len(details), (
            f"{label}: number of {direction}: tfllint {len(ours)} "
            f"{[t['name'] for t in ours]} != LiteRT {len(details)} "
            f"{[d['name'] for d in details]}")
        for position, (mine, theirs) in enumerate(zip(ours, details)):
            compare_tensor(f"{label}: {direction}[{position}]", mine, theirs)


def compare_signature_list(label: str, document: dict[str, Any], interpreter) -> None:
    runtime = interpreter.get_signature_list()
    ours = {s["key"]: {"inputs": [e["name"] for e in s["inputs"]],
                       "outputs": [e["name"] for e in s["outputs"]]}
            for s in document["signatures"]}
    assert list(ours) == list(runtime), (
        f"{label}: signature keys: tfllint {list(ours)} != LiteRT {list(runtime)}")
    for key, names in runtime.items():
        for direction in ("inputs", "outputs"):
            assert ours[key][direction] == list(names[direction]), (
                f"{label}: signature {key!r} {direction} names (in order): "
                f"tfllint {ours[key][direction]} != LiteRT {list(names[direction])}")


def compare_signature_runners(label: str, document: dict[str, Any], interpreter) -> None:
    """Each runner's details: tensor indices (JSON), subgraph, and the full description."""
    for signature in document["signatures"]:
        key = signature["key"]
        runner = interpreter.get_signature_runner(key)
        subgraph = signature_subgraph(interpreter, key)
        if subgraph is not None:
            assert signature["subgraph"] == subgraph, (
                f"{label}: signature {key!r}: subgraph: tfllint {signature['subgraph']} "
                f"!= LiteRT {subgraph}")
        for direction, details in (("inputs", runner.get_input_details()),
                                   ("outputs", runner.get_output_details())):
            runtime = [(name, int(detail["index"])) for name, detail in details.items()]
            ours = [(entry["name"], entry["index"]) for entry in signature[direction]]
            assert ours == runtime, (
                f"{label}: signature {key!r} runner {direction} (name, tensor index): "
                f"tfllint {ours} != LiteRT {runtime}")
            for position, (entry, (name, detail)) in enumerate(zip(signature[direction],
                                                                   details.items())):
                assert entry["tensor"] == detail["name"], (
                    f"{label}: signature {key!r} {direction}[{position}] {name!r}: tensor "
                    f"name: tfllint {entry['tensor']!r} != LiteRT {detail['name']!r}")


def compare_signature_tensors(label: str, view: ModelView, interpreter) -> None:
    """In-process, a signature's tensors carry the full contract (the JSON only names them):
    compare it with the runner's full details, which LiteRT reads from that subgraph."""
    from tfllint.report import tensor_entry

    for signature in Analyses(view).contract.signatures:
        runner = interpreter.get_signature_runner(signature.key)
        for direction, ours, details in (
                ("inputs", signature.inputs, runner.get_input_details()),
                ("outputs", signature.outputs, runner.get_output_details())):
            assert [name for name, _ in ours] == list(details), (
                f"{label}: signature {signature.key!r} {direction}: tfllint "
                f"{[name for name, _ in ours]} != LiteRT {list(details)}")
            for (name, tensor), detail in zip(ours, details.values()):
                compare_tensor(f"{label}: signature {signature.key!r} {direction} {name!r}",
                               tensor_entry(tensor), detail)


def compare_everything(label: str, path: Path, run_cli) -> dict[str, int]:
    interpreter = load_interpreter(path)
    view = ModelView(read_model(str(path)))
    in_process = contract_document(view)

    # The command itself, not only the function behind it.
    code, out, err = run_cli("inspect", str(path), "--format", "json")
    assert code == 0, f"{label}: `tfllint inspect --format json` exited {code}: {err}"
    from_cli = json.loads(out)

    for source, document in (("in-process", in_process), ("cli", from_cli)):
        where = f"{label} ({source})"
        compare_io(where, document, interpreter)
        compare_signature_list(where, document, interpreter)
        compare_signature_runners(where, document, interpreter)
    compare_signature_tensors(f"{label} (in-process)", view, interpreter)
    return {"inputs": len(in_process["inputs"]), "outputs": len(in_process["outputs"]),
            "signatures": len(in_process["signatures"])}


# -- every sample model ------------------------------------------------------------------

@pytest.mark.parametrize("path", SAMPLE_MODELS, ids=[p.stem for p in SAMPLE_MODELS])
def test_inspect_agrees_with_litert(path, run_cli):
    counts = compare_everything(f"models/{path.name}", path, run_cli)
    # Every sample model has at least one input and one output; comparing none proves nothing.
    assert counts["inputs"] and counts["outputs"], f"models/{path.name}: {counts}"


# -- hand-built models for cases the samples do not cover --------------------------------

def _unsorted_signatures() -> ModelBuilder:
    """Two signatures, keys and names out of order in the file, inputs not in tensor order."""
    model = ModelBuilder()
    main_graph = model.subgraph("main")
    a = main_graph.tensor("t_a", [1, 4])
    b = main_graph.tensor("t_b", [1, 4])
    y = main_graph.tensor("t_y", [1, 4])
    z = main_graph.tensor("t_z", [1, 4])
    main_graph.op("ADD", [a, b], [y], options=("AddOptions", {"fused_activation_function": 0}))
    main_graph.op("RELU", [y], [z])
    main_graph.inputs, main_graph.outputs = [b, a], [z, y]
    model.signature("zz_second", {"zeta": b, "alpha": a}, {"out_z": z, "out_a": y})
    model.signature("aa_first", {"q": a, "p": b}, {"r": y, "o": z})
    return model


def _quantized(x_kwargs: dict[str, Any], shape=(1, 3)) -> ModelBuilder:
    model = ModelBuilder()
    main_graph = model.subgraph("main")
    x = main_graph.tensor("x", shape, "INT8", **x_kwargs)
    y = main_graph.tensor("y", shape, "INT8", scale=[0.5], zero_point=[3])
    main_graph.op("RELU", [x], [y])
    main_graph.inputs, main_graph.outputs = [x], [y]
    model.signature("serving_default", {"x": x}, {"y": y})
    return model


def _every_type() -> ModelBuilder:
    """An input of every tensor type LiteRT can describe (BFLOAT16 it cannot: its
    get_input_details() raises "Invalid data-type for array"), next to a float model."""
    model = ModelBuilder()
    main_graph = model.subgraph("main")
    inputs = [main_graph.tensor(name.lower(), [2], name) for name in (
        "FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16",
        "COMPLEX64", "INT8", "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE", "VARIANT",
        "UINT32", "UINT16", "INT4")]
    # Newer than the `tflite` bindings the builder takes names from: INT2, UINT4, FLOAT8s.
    inputs += [main_graph.tensor(f"type_{code}", [2], code) for code in (19, 20, 21, 22)]
    x = main_graph.tensor("x", [1, 4])
    y = main_graph.tensor("y", [1, 4])
    main_graph.op("RELU", [x], [y])
    main_graph.inputs, main_graph.outputs = [*inputs, x], [y]
    return model


BUILT = {
    "unsorted_signatures": _unsorted_signatures,
    "per_channel_input": lambda: _quantized(dict(scale=[0.1, 0.2, 0.3], zero_point=[0, 1, 2],
                                                 quantized_dimension=1)),
    "single_scale_on_dimension_1": lambda: _quantized(
        dict(scale=[0.1], zero_point=[5], quantized_dimension=1), shape=(4, 1)),
    "zero_point_without_scale": lambda: _quantized(dict(zero_point=[4], quantized_dimension=1)),
    "every_type": _every_type,
}


@pytest.mark.parametrize("name", sorted(BUILT))
def test_inspect_agrees_with_litert_on_built_models(name, tmp_path, run_cli):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(BUILT[name]().build())
    compare_everything(f"built {name}", path, run_cli)

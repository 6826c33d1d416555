"""TFL011: an op whose input or output types its LiteRT builtin kernel refuses."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.data import load_data_table
from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_op
from ._operand_types import DATA, refusals


@rule(id="TFL011", name="operand-types-kernel-refuses", severity="error", preview=True,
      untrusted_severity="error",
      evidence=("runtime+source: tests/test_operand_types.py (each check's model refused "
                "by ai-edge-litert 2.3.0, its neighbour run); each check cites the "
                "kernel line in rules/data/kernel_operand_types.toml"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """An op's operand types that its LiteRT builtin kernel refuses.

    What it finds:
        Input and output types that the builtin kernel's Prepare (or Eval) rejects, judged
        in the kernel's own order and branches: CONV_2D, DEPTHWISE_CONV_2D and
        TRANSPOSE_CONV input, filter, bias and output types (an INT32 bias for an 8-bit
        input; for INT16, INT64 or INT32, and INT64 alone in DEPTHWISE_CONV_2D; the input's
        own type for FLOAT32); FULLY_CONNECTED by its filter's type (a FLOAT32 input with an
        8-, 4- or 2-bit filter is hybrid and needs a FLOAT32 output and bias); DEQUANTIZE
        input types; pooling, activation, PAD and CONCATENATION outputs of another type than
        their input; ADD, SUB and MUL inputs of two types; QUANTIZE input and output pairs;
        a reduction's axis that is not INT32 (REDUCE_ANY and REDUCE_ALL: an input not BOOL);
        a WHILE body that returns another type than it takes. A type is judged where the
        file fixes it: an op whose Prepare sets its output's type (ADD, DEQUANTIZE, GATHER,
        the comparisons, ...) passes it on (where the XNNPACK delegate may run the op
        instead, only where the file's type agrees), the inputs of a WHILE's cond and body
        get the WHILE's input types, and the inputs of a subgraph another op calls and the
        outputs of control-flow and custom ops are not judged. Nor is an op that the
        XNNPACK delegate, applied first by default, may take by its operands' file types
        and ranks (its checks per op: FLOAT32, FLOAT16, quantized INT8 and UINT8, for a
        bias quantized INT32; one type for ADD, SUB and MUL's operands; a bias of rank
        1, ...): it never reaches the kernel's checks, and may run. The facts per op, with
        the kernel line of each check and the delegate's checks, are
        rules/data/kernel_operand_types.toml.

    Why it matters:
        LiteRT refuses the model when it allocates tensors ("Node number N (CONV_2D)
        failed to prepare") or when it first runs it: the XNNPACK delegate leaves ops
        with these types to the builtin kernel, which refuses them. The app cannot load
        the model.

    Example:
        op12 CONV_2D: the bias is INT4 but the input FLOAT32: LiteRT refuses it
        (tflite/kernels/conv.cc:419 Prepare).

    How to fix:
        The file was edited or produced by a broken converter: re-export it with the
        types the op's kernel takes.
    """
    data = load_data_table(DATA)
    for found in refusals(ctx.view, data):
        entry, op = found.entry, found.op
        source = f"tflite/kernels/{entry['kernel']}:{found.check['line']} " \
                 f"{found.check.get('function', entry['function'])}"
        micro = f"; TFLite Micro {found.check['tflm']}" if "tflm" in found.check else ""
        yield Violation(f"{found.text}: LiteRT refuses it ({source}){micro}",
                        at_op(op, found.tensor),
                        fix="re-export the model with the types the op's kernel takes",
                        cause=f"{op.opcode.name}:{found.check['line']}:{op.subgraph}:"
                              f"{op.index}")

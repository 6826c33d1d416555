"""TFL012: an op whose operand shapes its LiteRT kernel refuses in Prepare."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.data import load_data_table
from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_op
from ._operand_shapes import DATA, defects


@rule(id="TFL012", name="operand-shapes-kernel-refuses", severity="error", preview=True,
      untrusted_severity="error",
      evidence=("runtime+source: tests/test_operand_shapes.py (each check's model refused "
                "by ai-edge-litert 2.3.0 in a child process, its neighbour run); each "
                "check "
                "cites the kernel's Prepare in rules/data/kernel_operand_shapes.toml "
                "(google-ai-edge/LiteRT@f67457790c9c2ab67347d6fe53270e8d3df20868)"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """An op whose operand shapes its kernel refuses in Prepare: the model never runs.

    What it finds:
        Ops whose operands have shapes LiteRT's kernel rejects when the interpreter
        allocates its tensors: a FULLY_CONNECTED filter that is not rank 2, or a bias
        whose element count is not the filter's output units; CONV_2D input channels
        that are not a multiple of the filter's, or groups that do not divide its
        output channels; a CONV_2D or DEPTHWISE_CONV_2D bias that does not match the
        filter's output channels (where XNNPACK declines the node: it takes a constant
        rank-1 bias without comparing it);
        a DEPTHWISE_CONV_2D input or filter that is not rank 4, or whose filter output
        channels are not a multiple of the input's channels; a pooling input that is not
        rank 4; a READ_VARIABLE resource id that is not one element; a RESHAPE whose new
        shape does not hold the input's element count; ADD, SUB or MUL inputs that do not
        broadcast; and, where ai-edge-litert's default XNNPACK delegate takes the node, a
        FULLY_CONNECTED input that is not whole rows of the filter. Shapes are the ones
        the kernel sees: constants, graph inputs without -1 in their shape_signature,
        tensors no op writes, and tensors an earlier op computes (copy-shape ops,
        convolutions, pools, broadcasts, FULLY_CONNECTED, RESHAPE, PAD) recomputed as
        its Prepare (or XNNPACK's reshape, where the two differ: a finding needs both to
        refuse) does, whatever the file says; a tensor read before the op that writes it
        at its file shape where that op depends on the reader (a cycle: the reader is
        prepared first). The message names the op where the computed shapes part from
        the file's. The facts per op are
        rules/data/kernel_operand_shapes.toml, with the kernel source of each.

    Why it matters:
        The runtime refuses the model when it prepares the graph ("Node number N
        (FULLY_CONNECTED) failed to prepare"), or, with the XNNPACK delegate that
        ai-edge-litert applies by default, "XNNPack delegate failed to reshape runtime".
        The file was edited or produced by a broken converter: it never runs.

    Example:
        op3 FULLY_CONNECTED: the bias has 6 elements for the filter's 4 output units
        (LiteRT's kernel refuses it: fully_connected.cc Prepare).

    How to fix:
        Re-export the model from its source; an operand wired to the wrong tensor (a bias
        or filter of another layer) is the usual cause. Do not run a file from outside
        that has this finding.
    """
    data = load_data_table(DATA)
    for entry, defect in defects(ctx.view, data):
        who = ("ai-edge-litert's default XNNPACK delegate refuses it"
               if entry.get("by") == "xnnpack" else "LiteRT's kernel refuses it")
        micro = f"; TFLite Micro {defect.micro}" if defect.micro else ""
        yield Violation(f"{defect.text} ({who}: {entry['litert_source']}){micro}",
                        at_op(defect.op, defect.tensor),
                        fix="re-export the model; an operand is probably wired to the "
                            "wrong tensor",
                        cause=f"{entry['id']}:{defect.op.subgraph}:{defect.op.index}")

"""TFL009: an op option, input index or constant input the kernel refuses or crashes on."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.data import load_data_table
from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_op
from ._op_parameters import DATA, defects
from ._runtimes import tflm_in_scope

CRASH = ("crashes", "divides by zero")


def consequence(check: dict) -> str:
    """What the runtimes do with the defect, worst first: "crashes ai-edge-litert
    (SIGSEGV)", "LiteRT refuses it (<kernel>)", plus TFLite Micro's crash when it has one,
    or its refusal when LiteRT runs the model."""
    litert, tflm = check["litert"], check.get("tflm", "")
    if litert.startswith(CRASH):
        words = [f"LiteRT {litert}"]
    elif litert == "ran":  # a check only TFLite Micro dies of (reported for it alone)
        words = ["LiteRT runs it"]
    else:  # "refuses", or "refuses or crashes (...)"
        crash = litert.partition(" or ")[2]
        words = [f"LiteRT refuses it ({check['litert_source'].split(' (')[0]})"
                 + (f" or {crash}" if crash else "")]
    if tflm.startswith(CRASH):
        words.append(f"TFLite Micro {tflm}")
    elif litert == "ran" and tflm == "refuses":
        words.append(f"TFLite Micro refuses it ({check['tflm_source'].split(' (')[0]})")
    cves = f" [{', '.join(check['cves'])}]" if check["cves"] else ""
    return "; ".join(words) + cves


@rule(id="TFL009", name="op-parameters-crash-runtime", severity="error", preview=True,
      untrusted_severity="error",
      evidence=("runtime+source: tests/test_cve_catalogue.py (the reproducers' recorded "
                "outcomes in ai-edge-litert 2.3.0 and tflite-micro), tests/"
                "test_op_parameters.py; each check cites the kernel's Prepare in "
                "rules/data/op_parameters.toml"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """An op parameter out of the range its kernel accepts: the runtime refuses or crashes.

    What it finds:
        Op options, input indices and constant inputs that the builtin kernel's Prepare
        (or Eval, for a constant) rejects, judged as the kernel judges them: a stride,
        dilation or block size below 1; an enum option the option parser has no case
        for (FULLY_CONNECTED's weights_format, a quantized_bias_type that is not a
        TensorType); a WHILE whose outputs or cond/body subgraph inputs and outputs do
        not match its input count; a 0 in a constant block_shape; an SVDF rank of 0
        or one that does not divide num_filters; a SPLIT whose num_splits is not its
        output count or does not divide the axis; CONV_2D filter input channels of 0
        (sizes the file fixes: an op's Prepare recomputes a tensor another op writes;
        TFL012 judges the channels' groups); a constant axis out of range; a constant GATHER,
        GATHER_ND or SCATTER_ND index outside its dimension; segment ids not sorted
        from 0; an integer DIV by a constant 0; inputs with no rows where the kernel
        needs some; CONCATENATION sizes that overflow an int; quantized operands without
        scales; a recurrent op's state that is not a variable; a subgraph call cycle
        (WHILE, IF, CALL_ONCE); the no-tensor index -1 in an input the kernel does not
        read as optional. The facts per op are rules/data/op_parameters.toml, with the
        kernel source of each. Checks whose data says LiteRT runs the model and only
        TFLite Micro, which resizes nothing, crashes or refuses it are reported when a
        --target runs the model on TFLite Micro (tflm, ethos-u*) and in untrusted mode
        (--untrusted): an elementwise op whose output the file sizes smaller than its
        inputs (TFLite Micro writes the whole result past it), or larger where its
        kernel checks the counts and aborts; a FULLY_CONNECTED input
        holding fewer elements than the output's rows times the filter's depth (TFLite
        Micro reads past it); a WHILE or IF operand whose byte size differs from the
        called subgraph's tensor it is copied to or from.

    Why it matters:
        These are the preconditions of published TFLite CVEs. LiteRT refuses most of
        them when the interpreter allocates or invokes; some still crash it (an index
        -1 in ADD, SPLIT with num_splits 0: SIGSEGV in ai-edge-litert 2.3.0), and TFLite
        Micro, which checks less, divides by zero or recurses until the stack
        overflows. A model from outside with one of these takes the app down.

    Example:
        op0 SPACE_TO_BATCH_ND: the constant block_shape [2, 0] holds a 0: LiteRT refuses
        it (tflite/kernels/space_to_batch_nd.cc ResizeOutputTensor); TFLite Micro divides
        by zero (SIGFPE) [CVE-2021-29597].

    How to fix:
        The file was edited or produced by a broken converter: re-export it. Do not run
        a model from outside that has this finding.
    """
    data = load_data_table(DATA)
    tflm = tflm_in_scope(ctx.settings)
    for entry, defect in defects(ctx.view, data):
        if entry["litert"] == "ran" and not tflm:
            continue  # only TFLite Micro crashes: reported when it runs the model
        yield Violation(f"{defect.text}: {consequence(entry)}",
                        at_op(defect.op, defect.tensor),
                        fix="re-export the model; do not run a file from outside with this",
                        cause=f"{entry['id']}:{defect.op.subgraph}:{defect.op.index}")

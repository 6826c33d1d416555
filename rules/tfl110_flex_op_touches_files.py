"""TFL110: Flex ops that read or write the host's files."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.data import load_data_table
from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_op

ACTIONS = (("reads", "reads files"), ("writes", "writes files"),
           ("reads_and_writes", "reads and writes files"),
           ("configures", "changes a file system's configuration"))


def file_action(tf_op: str, data: dict) -> str | None:
    """What the TensorFlow op does to files, or None when it touches none."""
    for key, action in ACTIONS:
        if tf_op in data[key]:
            return action
    return f"can write a file: {data['via'][tf_op]}" if tf_op in data["via"] else None


@rule(id="TFL110", name="flex-op-touches-files", severity="warning", preview=True,
      untrusted_severity="error",
      evidence=("source: rules/data/flex_file_ops.toml (the TensorFlow op registry, "
                "tensorflow/core/ops/io_ops.cc and others, each cited); tests/"
                "test_untrusted.py"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A Flex (Select TensorFlow) op that reads or writes the host's files.

    What it finds:
        Flex ops (custom code "Flex" + a TensorFlow op, TFL101) whose TensorFlow op opens
        files by a name the graph computes: ReadFile, WriteFile, the checkpoint ops
        (SaveV2, RestoreV2, MergeV2Checkpoints, Save, Restore, ...), the reader and
        tf.data file datasets (TFRecordReader, TextLineDataset, FixedLengthRecordDataset,
        CSVDataset, ...), InitializeTableFromTextFile, ImmutableConst, LoadAndRemapMatrix,
        summary writers, FileSystemSetConfiguration; and PrintV2 or DebugIdentity, whose
        NodeDef attribute can name a file. The list, with the TensorFlow source of each,
        is rules/data/flex_file_ops.toml.

    Why it matters:
        An app that links the Flex delegate runs these TensorFlow kernels with the app's
        own file permissions: the model decides which files are read (and may return
        their contents as an output), overwritten or appended to. An inference model
        needs none of them. In a model from outside (--untrusted) this is an error; in a
        model you built it is usually a leftover of a training or export graph.

    Example:
        op 0 FlexReadFile: FlexReadFile is TensorFlow op ReadFile, which reads files on the
        device when the app runs the model with the Flex delegate.

    How to fix:
        Do not run a model from outside that has one. In your own model, remove the op
        from the graph before conversion (read files in the app, pass their contents as
        inputs), or export the inference function alone.
    """
    data = load_data_table("flex_file_ops")
    prefix = load_data_table("custom_op_providers")["flex_prefix"]
    by_type: dict[str, list] = {}
    for op in ctx.view.operators():
        if op.opcode.is_flex and file_action(op.name[len(prefix):], data):
            by_type.setdefault(op.name, []).append(op)
    for name, ops in by_type.items():
        tf_op = name[len(prefix):]
        uses = f" ({len(ops)} ops)" if len(ops) > 1 else ""
        yield Violation(
            f"{name}{uses} is TensorFlow op {tf_op}, which {file_action(tf_op, data)} on the "
            "device when the app runs the model with the Flex delegate, with the app's "
            "permissions",
            locations=tuple(at_op(op) for op in ops),
            fix=f"remove {tf_op} from the graph before conversion; do not run a model from "
                "outside that has it")

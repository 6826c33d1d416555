"""TFL305: the model is already compiled for the target."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import Location, RuleContext, Violation, rule

from ._targets import op_location

DISPATCH_OP = "DISPATCH_OP"  # tfllint.targets.compiled, imported only for a model that has one

LITERT_FIX = ("lint the model from before LiteRT's AOT compile to check it; to run it on "
              "another SoC, compile that model for it")


@rule(id="TFL305", name="compiled-for-target", severity="info")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A model that is already the output of an accelerator's compiler.

    What it finds:
        Ops that are a compiled program for the --target itself: `edgetpu-custom-op`
        (Edge TPU compiler output) on coral, `ethos-u` (Vela output) on ethos-u55/65/85,
        and LiteRT's `DISPATCH_OP` on the NPU target of the SoC manufacturer the model's
        LiteRtStamp names (npu-mediatek, npu-google-tensor, ...). A model LiteRT compiled
        for an NPU is reported with or without --target: the SoC it was compiled for
        (from the stamp, when the file has one), and each dispatch op's entry point and
        bytecode size. Dispatch ops that name no bytecode mark the output of LiteRT's
        partition step, which is not compiled yet (the NPU targets refuse it: TFL302).

    Why it matters:
        The compiled op is opaque: tfllint cannot check what is inside, only that the
        target's delegate or driver must be present to run it (libedgetpu; TFLite Micro
        built with the Ethos-U kernel; LiteRT's CompiledModel with the NPU accelerator,
        whose dispatch delegate hands each DISPATCH_OP to the vendor's dispatch library),
        and that no other target can run it: another vendor's NPU target reports the
        model as blocked (TFL302).

    Example:
        [coral] op 0 edgetpu-custom-op is already compiled for the Coral Edge TPU.
        op 0 DISPATCH_OP: the model is already compiled by LiteRT for Qualcomm SM8650
        (LiteRtStamp): 1 dispatch op (qnn_partition_0, 79,448 bytes of bytecode).

    How to fix:
        Nothing to fix. To check the model itself, lint the model from before the
        compiler.
    """
    if not ctx.settings.targets and not any(code.custom_code == DISPATCH_OP
                                            for code in ctx.view.model.operator_codes):
        return
    from tfllint.targets.compiled import compiled_model

    compiled = compiled_model(ctx.view)
    counted = set()
    for target in ctx.settings.targets:
        result = ctx.analyses.target(target)
        for verdict in result.ops:
            if verdict.verdict == "compiled" and not _without_bytecode(compiled, verdict):
                counted.add((verdict.subgraph, verdict.op_index))
                where = _dispatch_detail(compiled, verdict.subgraph, verdict.op_index)
                yield Violation(f"{verdict.op}{where} is already compiled for "
                                f"{result.profile.title}; it needs that target's delegate or "
                                "driver to run", op_location(verdict),
                                target=result.profile.name,
                                fix="lint the model from before the compiler to check it")
    if compiled is None or not compiled.dispatch_ops:
        return
    others = [op for op in compiled.dispatch_ops if (op.subgraph, op.op_index) not in counted]
    if others:
        yield Violation(_litert_message(compiled, others),
                        locations=tuple(Location(subgraph=op.subgraph, op_index=op.op_index,
                                                 op="DISPATCH_OP") for op in others),
                        fix=LITERT_FIX)


def _without_bytecode(compiled, verdict) -> bool:
    """A LiteRT dispatch op that names no bytecode: not compiled (the partition step's
    output), reported with the model's other dispatch ops."""
    return compiled is not None and any(
        (op.subgraph, op.op_index) == (verdict.subgraph, verdict.op_index)
        for op in compiled.without_bytecode())


def _dispatch_detail(compiled, subgraph: int, op_index: int) -> str:
    """' (entry point, N bytes of bytecode)' of a LiteRT dispatch op, else ''."""
    for op in compiled.dispatch_ops if compiled is not None else ():
        if (op.subgraph, op.op_index) == (subgraph, op_index):
            return f" ({_entry(op)})"
    return ""


def _entry(op) -> str:
    if op.bytecode_size is None:
        return "no bytecode"
    return f"{op.name or 'unnamed'}, {op.bytecode_size:,} bytes of bytecode"


def _litert_message(compiled, ops) -> str:
    empty = [op for op in ops if op.bytecode_offset is None]
    if len(empty) == len(ops):
        return (f"{len(ops)} DISPATCH_OP op{'s' if len(ops) > 1 else ''} without bytecode: the "
                "model is the output of LiteRT's partition step (apply_plugin_main "
                "--cmd=partition), not a compiled model; each partition's ops are in a "
                "subgraph of their own, and nothing runs them until the model is compiled")
    stamp = compiled.stamp
    soc = (f"for {stamp.text} (LiteRtStamp)" if stamp is not None
           else "for an NPU; the file has no LiteRtStamp naming the SoC")
    count = f"{len(ops)} dispatch op{'s' if len(ops) > 1 else ''}"
    entries = "; ".join(_entry(op) for op in ops[:3]) + ("; ..." if len(ops) > 3 else "")
    library = f"{stamp.manufacturer}'s" if stamp is not None else "the vendor's"
    runs = (f"{'they run' if len(ops) > 1 else 'it runs'} only through LiteRT's CompiledModel "
            f"with the NPU accelerator, on {library} dispatch library")
    return f"the model is already compiled by LiteRT {soc}: {count} ({entries}); {runs}"

"""TFL402: one activation tensor alone is larger than the memory budget."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.budget import memory_budget
from tfllint.engine.rule import RuleContext, Violation, rule
from tfllint.sizes import exact_bytes

from ._locations import at_tensor, tensor_label
from ._memory import budget_text


@rule(id="TFL402", name="tensor-larger-than-budget", severity="error", evidence="gate")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """An activation tensor that by itself does not fit the memory budget.

    What it finds:
        With --memory-budget SIZE (or a target's default budget), every tensor the
        runtime must hold in RAM (inputs, outputs, intermediate activations, variables;
        not constant weights) whose own size is larger than SIZE, in any subgraph.

    Why it matters:
        No arena planning can help: the tensor must exist whole while the op that
        writes it runs, so the model cannot fit the budget whatever the op order or
        planner. TFL401 reports the arena as a whole; this finding points at the
        tensor that has to shrink first.

    Example:
        activation 'conv1/Relu' (#5), float32 [1, 112, 112, 32], is 1.5 MiB (1,605,632
        bytes); the memory budget of 256.0 KiB (262,144 bytes) cannot hold it alone.

    How to fix:
        Shrink the tensor: a smaller input resolution, fewer channels in the layer that
        writes it, an earlier stride or pooling, or int8 instead of float32 (a quarter
        of the bytes). Or give the model more RAM and raise the budget.
    """
    budget = memory_budget(ctx.settings)
    if budget is None:
        return
    for subgraph in ctx.view.subgraphs:
        for tensor in subgraph.tensors:
            size = tensor.byte_size
            if size is None or size <= budget.bytes or tensor.is_constant:
                continue
            kind = "variable" if tensor.is_variable else "activation"
            # a dynamic tensor is sized at the placeholder shape the file stores: at least
            stored = f" at least (at its stored shape {list(tensor.shape)})" \
                if tensor.is_dynamic else ""
            yield Violation(f"{kind} {tensor_label(tensor)}, {tensor.numpy_dtype} "
                            f"{list(tensor.signature)}, is {exact_bytes(size)}{stored}; "
                            f"{budget_text(budget)} cannot hold it alone",
                            at_tensor(subgraph.index, tensor), target=budget.target,
                            fix="shrink the tensor (resolution, channels, stride, int8) or "
                                "raise the memory budget")

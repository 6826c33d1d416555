"""TFL404: the Edge TPU's on-chip parameter cache cannot hold the weights it runs."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import Location, RuleContext, Violation, rule
from tfllint.sizes import exact_bytes, human_bytes

from ._memory import constant_sizes, named_sizes

CACHE_KEY = "parameter_cache_bytes"  # the profile's [memory] figure (coral.toml)


@rule(id="TFL404", name="edgetpu-parameter-cache-overflow", severity="warning")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """Weights of the Edge TPU's ops that do not fit its parameter cache and stream per run.

    What it finds:
        With --target coral (any target whose profile sets `[memory]
        parameter_cache_bytes`): a model whose ops that run on the Edge TPU read more
        constant data (weights, biases; each buffer once) than the cache holds, about
        8 MiB. Weights of ops left on the CPU do not count. A model already compiled for
        the Edge TPU is not checked: its compiler has placed the parameters.

    Why it matters:
        The Edge TPU keeps parameters in on-chip SRAM ("fits in the Edge TPU cache
        (~8 MB)", coral.ai/docs/edgetpu/pipeline). What does not fit is streamed from
        host memory over USB or PCIe on every inference; the compiler says so with
        "Off-chip memory used for streaming uncached model parameters: ...". That
        transfer is paid on every inference and slows each one; Coral's pipelining
        guide is written for large models "that otherwise cannot fit into the cache of
        a single Edge TPU". Not all of the 8 MiB is free for weights: compiler logs show
        6.1 to 8.0 MiB of used plus remaining cache, so a model just under the limit can
        stream a little too.

    Example:
        [coral] the 52 ops that run on the Coral Edge TPU read 12.3 MiB (12,897,484
        bytes) of weights; its on-chip parameter cache holds about 8.0 MiB (8,388,608
        bytes), so at least 4.3 MiB stream from host memory on every inference.

    How to fix:
        Split the model across several Edge TPUs with the compiler's pipelining
        (`edgetpu_compiler --num_segments N`, coral.ai/docs/edgetpu/pipeline) so each
        segment's parameters fit one cache; or use a smaller model (fewer channels,
        a smaller classifier head). Co-compiling several models makes them share one
        cache, so it does not help here.
    """
    for target in ctx.settings.targets:
        result = ctx.analyses.target(target)
        cache = result.profile.memory.get(CACHE_KEY)
        if cache is None or result.blocked:
            continue
        on_target = [verdict for verdict in result.ops if verdict.verdict == "target"]
        tensors = []
        for verdict in on_target:
            subgraph = ctx.view.subgraphs[verdict.subgraph]
            op = subgraph.operators[verdict.op_index]
            tensors.extend((verdict.subgraph, subgraph.tensors[i]) for i in op.inputs if i >= 0)
        constants = constant_sizes(ctx.view, tensors)
        weights = sum(size for _, size in constants)
        if weights <= cache:
            continue
        ops = "the op that runs" if len(on_target) == 1 else \
            f"the {len(on_target)} ops that run"
        yield Violation(
            f"{ops} on {result.profile.title} read {exact_bytes(weights)} of "
            f"weights; its on-chip parameter cache holds about {exact_bytes(cache)}, so at "
            f"least {human_bytes(weights - cache)} stream from host memory on every "
            f"inference (the compiler reports it as \"Off-chip memory used for streaming "
            f"uncached model parameters\"). Largest: {named_sizes(constants)}",
            Location(), target=result.profile.name,
            fix="pipeline the model over several Edge TPUs (edgetpu_compiler "
                "--num_segments) or use a model with fewer parameters")

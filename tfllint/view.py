"""The read-only view rules see: the decoded model plus the questions rules ask of it.

Who produces a tensor, who consumes it, is it constant, a variable, a model input or
output, which subgraphs run from where. Indexes are built on first use per subgraph; the
networkx graph (graph.py) is built only when a rule asks for it, so a run whose rules
need no graph algorithms never pays for one.
"""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Iterator

from .model import Buffer, Model, Operator, Subgraph, Tensor
from .reader import ModelFile
from .reader.decode import OPERATOR_NAMES
from .reader.offline_plan import METADATA_NAME as OFFLINE_PLAN_METADATA
from .reader.offline_plan import OfflinePlan, parse_offline_plan

if TYPE_CHECKING:
    import networkx
    import numpy


# Tensor types whose constants numpy can view in place (sub-byte, string, resource and
# variant data cannot be viewed element by element).
NUMERIC_DTYPES = {
    "FLOAT32": "float32", "FLOAT16": "float16", "FLOAT64": "float64", "INT8": "int8",
    "UINT8": "uint8", "INT16": "int16", "UINT16": "uint16", "INT32": "int32",
    "UINT32": "uint32", "INT64": "int64", "UINT64": "uint64", "BOOL": "bool",
    "COMPLEX64": "complex64", "COMPLEX128": "complex128",
}


class SubgraphIndex:
    """Producer and consumer lookups of one subgraph."""

    def __init__(self, subgraph: Subgraph) -> None:
        self.producer: dict[int, Operator] = {}
        self.consumers: dict[int, list[Operator]] = {}
        for op in subgraph.operators:
            for tensor in op.outputs:
                self.producer.setdefault(tensor, op)
            for tensor in (*op.inputs, *op.intermediates):
                if tensor >= 0:
                    self.consumers.setdefault(tensor, []).append(op)
        self.inputs = frozenset(subgraph.inputs)
        self.outputs = frozenset(subgraph.outputs)


class ModelView:
    def __init__(self, model_file: ModelFile) -> None:
        self.file = model_file
        self.model: Model = model_file.model
        self._indexes: dict[int, SubgraphIndex] = {}
        self._graphs: dict[int, networkx.DiGraph] = {}

    # -- navigation -------------------------------------------------------------------
    @property
    def path(self) -> str:
        return self.model.path

    @property
    def subgraphs(self) -> tuple[Subgraph, ...]:
        return self.model.subgraphs

    @property
    def main(self) -> Subgraph:
        """Subgraph 0: the one the interpreter runs and whose inputs callers feed."""
        return self.model.subgraphs[0]

    def operators(self) -> Iterator[Operator]:
        """Every operator of every subgraph, subgraph by subgraph, in execution order."""
        for subgraph in self.model.subgraphs:
            yield from subgraph.operators

    def execution_order(self, subgraph: int = 0) -> tuple[Operator, ...]:
        """The subgraph's ops in the order they run: TFLite runs them exactly as listed."""
        return self.model.subgraphs[subgraph].operators

    def tensor(self, subgraph: int, index: int) -> Tensor:
        return self.model.subgraphs[subgraph].tensors[index]

    def _index(self, subgraph: int) -> SubgraphIndex:
        index = self._indexes.get(subgraph)
        if index is None:
            index = self._indexes[subgraph] = SubgraphIndex(self.model.subgraphs[subgraph])
        return index

    def input_tensor(self, op: Operator, slot: int) -> Tensor | None:
        """The tensor at the op's input `slot`, or None when the op has no such input or
        it is -1 (an optional input left out)."""
        if slot >= len(op.inputs) or op.inputs[slot] < 0:
            return None
        return self.model.subgraphs[op.subgraph].tensors[op.inputs[slot]]

    def producer(self, subgraph: int, tensor: int) -> Operator | None:
        return self._index(subgraph).producer.get(tensor)

    def consumers(self, subgraph: int, tensor: int) -> tuple[Operator, ...]:
        return tuple(self._index(subgraph).consumers.get(tensor, ()))

    # -- what a tensor is -------------------------------------------------------------
    def buffer_of(self, tensor: Tensor) -> Buffer:
        return self.model.buffers[tensor.buffer]

    def is_input(self, subgraph: int, tensor: int) -> bool:
        return tensor in self._index(subgraph).inputs

    def is_output(self, subgraph: int, tensor: int) -> bool:
        return tensor in self._index(subgraph).outputs

    def has_source(self, subgraph: int, tensor: int) -> bool:
        """Something gives the tensor a value: an op, the caller, the file, or state."""
        value = self.tensor(subgraph, tensor)
        return (self.producer(subgraph, tensor) is not None or self.is_input(subgraph, tensor)
                or value.is_constant or value.is_variable)

    # -- data -------------------------------------------------------------------------
    def buffer_bytes(self, buffer: Buffer) -> memoryview:
        return self.file.buffer_bytes(buffer)

    def tensor_data(self, tensor: Tensor) -> numpy.ndarray | None:
        """The constant's values as a read-only array over the mapped file (no copy)."""
        import numpy

        buffer = self.buffer_of(tensor)
        dtype_name = NUMERIC_DTYPES.get(tensor.dtype)
        if buffer.size == 0 or dtype_name is None:
            return None
        dtype = numpy.dtype(dtype_name).newbyteorder("<")
        if buffer.size % dtype.itemsize:
            return None  # not a whole number of elements: TFL008 reports such buffers
        array = numpy.frombuffer(self.buffer_bytes(buffer), dtype=dtype)
        if array.size == tensor.element_count and tensor.shape:
            return array.reshape(tensor.shape)
        return array

    def metadata_bytes(self, name: str) -> memoryview | None:
        for entry in self.model.metadata:
            if entry.name == name:
                return self.buffer_bytes(self.model.buffers[entry.buffer])
        return None

    @cached_property
    def offline_plan(self) -> OfflinePlan | None:
        """The OfflineMemoryAllocation metadata (ARM Vela writes it), or None when absent.

        Raises OfflinePlanError when the metadata is present but malformed."""
        data = self.metadata_bytes(OFFLINE_PLAN_METADATA)
        return None if data is None else parse_offline_plan(data)

    # -- the schema tfllint reads with ----------------------------------------------------
    @staticmethod
    def builtin_op_name(builtin_code: int) -> str | None:
        """The schema's name of a builtin op code, or None when the code is newer than it."""
        return OPERATOR_NAMES.get(builtin_code)

    @staticmethod
    def newest_known_op() -> tuple[int, str]:
        """(builtin code, name) of the newest op in the schema tfllint was built from."""
        code = max(OPERATOR_NAMES)
        return code, OPERATOR_NAMES[code]

    # -- structure --------------------------------------------------------------------
    def graph(self, subgraph: int = 0) -> networkx.DiGraph:
        """The subgraph as a networkx graph (see tfllint.graph)."""
        if subgraph not in self._graphs:
            from .graph import subgraph_graph

            self._graphs[subgraph] = subgraph_graph(self, subgraph)
        return self._graphs[subgraph]

    @cached_property
    def call_graph(self) -> networkx.DiGraph:
        from .graph import call_graph

        return call_graph(self.model)

    @cached_property
    def reachable_subgraphs(self) -> frozenset[int]:
        """Subgraph 0 and every subgraph a control-flow op can run from it."""
        return self._run_from([0])

    @cached_property
    def runnable_subgraphs(self) -> frozenset[int]:
        """The subgraphs an app can run: subgraph 0, the signatures' subgraphs, and every
        subgraph a control-flow op can run from those."""
        return self._run_from([0, *(signature.subgraph for signature in self.model.signatures)])

    def _run_from(self, starts: list[int]) -> frozenset[int]:
        """`starts` and what their control-flow ops call, transitively; indices past the
        model's subgraphs are left out (the checks of the call judge them)."""
        count = len(self.model.subgraphs)
        seen = {index for index in starts if 0 <= index < count}
        pending = list(seen)
        while pending:
            for op in self.model.subgraphs[pending.pop()].operators:
                for called in op.called_subgraphs:
                    if 0 <= called < count and called not in seen:
                        seen.add(called)
                        pending.append(called)
        return frozenset(seen)

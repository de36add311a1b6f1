"""One prompt run in ComfyUI's order: nodes chosen as comfy_execution/graph.py's ExecutionList chooses them, the
messages execution.py and main.py send (to the prompt's client only), interrupts honoured between nodes and between
sampler steps, and the faults a test scripts (a node that fails, a lost message, a silent phase, a dropped socket)."""
from typing import Any

from .nodes import NodeFailed, Nodes

INTERRUPTED = "interrupted"


class Interrupted(Exception):
    """comfy.model_management.InterruptProcessingException."""


class Execution:
    def __init__(self, server: Any, item: tuple):
        self.server, self.script = server, server.script
        self.number, self.prompt_id, self.prompt, self.extra, self.output_ids = item
        self.client = self.extra.get("client_id")
        self.results: dict[str, tuple] = {}
        self.ui: dict[str, dict] = {}
        self.messages: list[list] = []
        self.nodes = Nodes(self)

    async def message(self, kind: str, data: dict[str, Any], *, keep: bool = True) -> None:
        data = {**data, "prompt_id": self.prompt_id}
        if keep:  # ComfyUI keeps these in the history's status.messages
            self.messages.append([kind, data])
        await self.server.send(kind, data, self.client)

    def check_interrupt(self) -> None:
        """nodes.before_node_execution / comfy.model_management.throw_exception_if_processing_interrupted."""
        if self.server.interrupt_flag and not self.script.ignores_interrupts:
            self.server.interrupt_flag = False
            raise Interrupted()

    async def run(self) -> dict[str, Any]:
        self.server.interrupt_flag = False  # PromptExecutor.execute: nodes.interrupt_processing(False)
        await self.message("execution_start", {})
        await self.message("execution_cached", {"nodes": []})
        order = ExecutionOrder(self.prompt, self.server.types())
        for output_id in self.output_ids:
            order.add(output_id)
        status, node_id = "success", None
        try:
            while (node_id := order.next()) is not None:
                await self.execute(node_id)
                order.done(node_id)
        except Interrupted:
            status = INTERRUPTED
            await self.message("execution_interrupted", {"node_id": node_id, "node_type": self.prompt[node_id]["class_type"],
                                                         "executed": list(self.results)})
        except NodeFailed as failure:
            status = "error"
            await self.message("execution_error", failure.details(self.prompt_id, list(self.results)))
        if status == "success" and self.script.sends_success:
            await self.message("execution_success", {})
        success = status == "success"
        return {"status_str": "success" if success else "error", "completed": success, "messages": self.messages}

    async def execute(self, node_id: str) -> None:
        node = self.prompt[node_id]
        self.check_interrupt()
        inputs = {name: self.results[value[0]][value[1]] if isinstance(value, list) else value
                  for name, value in node["inputs"].items()}
        self.server.last_node_id = node_id
        await self.message("executing", {"node": node_id, "display_node": node_id}, keep=False)
        if self.script.drops_socket_at(node_id, node["class_type"]):
            await self.server.drop_socket(self.client)
        silence = self.script.silence_in(node_id, node["class_type"])
        if silence:
            await self.server.sleep(silence)  # a checkpoint loading from a network volume: nothing is sent
        if self.script.fail_in in (node_id, node["class_type"]):
            raise NodeFailed(node_id, node["class_type"], inputs)
        self.results[node_id] = await getattr(self.nodes, node["class_type"])(node_id, **inputs)


class ExecutionOrder:
    """ExecutionList's choice of the next node: among nodes whose inputs are ready, an output node first, then a node an
    output waits on, then one two steps from an output, else the first (graph.py ux_friendly_pick_node); nodes enter the
    pending list as TopologicalSort.add_node walks from each output (a stack, inputs in the prompt's order)."""

    def __init__(self, prompt: dict[str, Any], types: dict[str, dict]):
        self.prompt, self.types = prompt, types
        self.pending: dict[str, set[str]] = {}  # node -> nodes it waits on

    def add(self, output_id: str) -> None:
        stack = [output_id]
        while stack:
            node_id = stack.pop()
            if node_id in self.pending:
                continue
            sources = [value[0] for value in self.prompt[node_id]["inputs"].values() if isinstance(value, list)]
            self.pending[node_id] = set(sources)
            stack.extend(sources)

    def next(self) -> str | None:
        ready = [node_id for node_id, blockers in self.pending.items() if not blockers]
        if not ready:
            return None
        blocking = {node_id: [n for n, b in self.pending.items() if node_id in b] for node_id in ready}
        for node_id in ready:
            if self._is_output(node_id):
                return node_id
        for node_id in ready:
            if any(self._is_output(n) for n in blocking[node_id]):
                return node_id
        for node_id in ready:
            for blocked in blocking[node_id]:
                if any(self._is_output(n) for n, b in self.pending.items() if blocked in b):
                    return node_id
        return ready[0]

    def done(self, node_id: str) -> None:
        del self.pending[node_id]
        for blockers in self.pending.values():
            blockers.discard(node_id)

    def _is_output(self, node_id: str) -> bool:
        return bool(self.types[self.prompt[node_id]["class_type"]].get("output"))

"""What a test scripts the stand-in to do that a healthy ComfyUI run would not: fail, lose messages, go silent, drop
its WebSocket, refuse to reopen it, run slowly; and its clock scale, so that '10 minutes of silence' takes a second."""
from dataclasses import dataclass, field


@dataclass
class Script:
    fail_in: str | None = None  # a node id or class_type that raises when it runs (execution_error)
    drop_executed_for: tuple[str, ...] = ()  # node ids whose `executed` message is never sent
    silent: dict[str, float] = field(default_factory=dict)  # node id or class_type -> seconds it runs saying nothing
    drop_socket_at: tuple[str, ...] = ()  # node ids or class_types: the client's WebSocket is closed as they start
    refuse_sockets: bool = False  # after a drop, new WebSocket connections are refused (its HTTP still answers)
    step_seconds: float = 0.0  # each sampler step takes this long
    ignores_interrupts: bool = False  # a node that never checks for an interrupt (a custom node in native code)
    sends_success: bool = True  # False: ComfyUI before execution_success, ending with `executing` None only
    time_scale: float = 1.0  # real seconds per scripted second: 1/400 makes a scripted 600 s of silence last 1.5 s

    def silence_in(self, node_id: str, class_type: str) -> float:
        return self.silent.get(node_id, self.silent.get(class_type, 0.0))

    def drops_socket_at(self, node_id: str, class_type: str) -> bool:
        hit = node_id in self.drop_socket_at or class_type in self.drop_socket_at
        if hit:  # once: the reopened socket is not dropped again at the same node
            self.drop_socket_at = tuple(n for n in self.drop_socket_at if n not in (node_id, class_type))
        return hit

"""ComfyUI's prompt queue (execution.py PromptQueue): pending items in a heap ordered by number, the running item
apart, a history written when a prompt ends; deleting only ever removes pending items."""
import heapq
import itertools
from typing import Any

Item = tuple  # (number, prompt_id, prompt, extra_data, outputs_to_execute), as ComfyUI's queue holds it


class PromptQueue:
    def __init__(self) -> None:
        self.pending: list[Item] = []
        self.running: dict[int, Item] = {}
        self.history: dict[str, dict[str, Any]] = {}
        self.counter = itertools.count()

    def put(self, item: Item) -> None:
        heapq.heappush(self.pending, item)

    def take(self) -> tuple[Item, int] | None:
        """PromptQueue.get: the first pending item moves to running."""
        if not self.pending:
            return None
        item, task = heapq.heappop(self.pending), next(self.counter)
        self.running[task] = item
        return item, task

    def done(self, task: int, outputs: dict[str, Any], status: dict[str, Any]) -> None:
        """PromptQueue.task_done: out of running and into the history, in one step."""
        item = self.running.pop(task)
        self.history[item[1]] = {"prompt": list(item), "outputs": outputs, "status": status}

    def delete_pending(self, prompt_id: str) -> bool:
        """PromptQueue.delete_queue_item, as POST /queue {"delete": [...]} uses it: the running prompt is not touched."""
        for position, item in enumerate(self.pending):
            if item[1] == prompt_id:
                self.pending.pop(position)
                heapq.heapify(self.pending)
                return True
        return False

    def running_ids(self) -> list[str]:
        return [item[1] for item in self.running.values()]

    def current(self) -> dict[str, list]:
        """GET /queue: {queue_running, queue_pending} (prompts included, as ComfyUI answers)."""
        return {"queue_running": [list(i) for i in self.running.values()], "queue_pending": [list(i) for i in self.pending]}

    def remaining(self) -> int:
        return len(self.pending) + len(self.running)

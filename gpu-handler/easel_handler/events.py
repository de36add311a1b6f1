"""The bodies the handler POSTs to callback.url, exactly the contract's v1 shapes."""
from typing import Any

MAX_MESSAGE = 200
MAX_ERROR = 2000


def progress_event(job_id: str, progress: float, message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "progress", "job_id": job_id, "progress": round(min(100.0, max(0.0, progress)), 1)}
    if message:
        body["message"] = message[:MAX_MESSAGE]
    return body


def image_event(job_id: str, image: dict[str, Any], total_images: int) -> dict[str, Any]:
    return {"type": "image", "job_id": job_id, "total_images": total_images, "image": image}


def completed_event(job_id: str, images: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "completed", "job_id": job_id, "images": images}


def failed_event(job_id: str, error: str) -> dict[str, Any]:
    return {"type": "failed", "job_id": job_id, "error": (error or "unknown error")[:MAX_ERROR]}

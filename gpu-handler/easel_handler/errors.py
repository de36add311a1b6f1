"""Failures that end a job. Their message is the job's error, so it says what failed, in words, with no secret."""
from .redaction import redact


class JobFailed(Exception):
    """The job cannot finish; str(error) is what the Worker and RunPod are told (URL queries and secrets cut out)."""

    def __init__(self, message: str):
        super().__init__(redact(message))


class BadInput(JobFailed):
    def __init__(self, message: str, issues: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.issues = issues or []


class InputImageUnavailable(JobFailed):
    pass


class EngineFailed(JobFailed):
    pass


class UploadFailed(JobFailed):
    pass


class WebhookRejected(JobFailed):
    """The Worker answered 4xx: the announcement itself is wrong, resending cannot help."""


class JobStopped(JobFailed):
    """Another part ended the job (a cancel, the deadline, a delivery that gave up); the message is its reason."""


class WebhookUndelivered(Exception):
    """5xx or no connection after every retry. Not fatal: the completion and RunPod's result carry the same facts."""

"""Failures that end a job. Their message is the job's error, so it must say what went wrong."""


class JobFailed(Exception):
    """The job cannot finish; str(error) is what the Worker and RunPod are told."""


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


class WebhookUndelivered(Exception):
    """5xx or no connection after every retry. Not fatal: the completion and RunPod's result carry the same facts."""

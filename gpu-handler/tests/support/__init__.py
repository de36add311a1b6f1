"""Local stand-ins the tests and the delivery bench run against: S3 (s3rver), ComfyUI, a webhook receiver."""

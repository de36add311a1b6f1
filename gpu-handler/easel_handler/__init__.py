"""Easel's GPU handler: runs a contract-v1 job, delivers each image as it exists, reports it."""

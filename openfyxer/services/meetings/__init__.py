"""Meetings: recordings uploaded, decoded in the sandbox, transcribed chunk by chunk by a job."""

"""The assistant: sorting mail, the models behind it, and reply drafts in the user's voice."""

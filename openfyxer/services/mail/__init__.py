"""Mail: accounts and their sign-in, sync, parsing what arrives, the mail store, reading it, drafts and the outbox."""

"""Business operations: take a Session first, flush but never commit, never import Flask."""

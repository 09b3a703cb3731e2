"""Rate limits and the verified-key cache of the HTTP surface, shared by its workers."""

"""Operating a self-hosted essaybot: heartbeat, health check, doctor, backup and restore.

Everything here is meant to run beside a live bot (from ``docker exec``, a ``HEALTHCHECK`` or a cron
job), so the health path never imports the embedding stack (torch, sentence-transformers, FAISS).
"""

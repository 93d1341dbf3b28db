"""gunicorn settings for `make run`, `make serve` and the benchmarks (gunicorn reads this file from the
working directory; options on the command line win over it)."""

# Threaded workers keep HTTP/1.1 connections open between requests: the AWS SDKs and CLI reuse a
# connection, and gunicorn's default (sync) worker closes every one after its response.
worker_class = "gthread"
keepalive = 5

# Import Django once in the master, before forking: workers start warm and share that memory.
preload_app = True


def pre_fork(server, worker):
    # Nothing opens a database connection at import time, but one inherited across fork() would be shared
    # by every worker: close any the master holds, so each worker opens its own.
    from django.db import connections

    connections.close_all()

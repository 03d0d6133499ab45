"""Local HTTP servers that implement the documented API shapes of the platforms Clipper posts to.

Each fake runs in a thread on 127.0.0.1 (a free port), keeps what it was sent (``requests``) and what
it created (``created``), and can be told to misbehave (``faults``): answer a status N times (429 with
``Retry-After``, 500), drop the connection after creating the post, hold the answer until released,
or fail the asynchronous media job.
"""

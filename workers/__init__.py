"""RQ: queues, enqueue helpers, thin jobs, the worker entry point and the embedded Redis."""

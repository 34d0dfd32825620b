"""Every task handler, one module per family: each reads its inputs from the `Context`, calls
one subsystem and returns the task's output. No business logic of their own.
"""

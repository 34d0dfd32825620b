"""What one invocation runs with: the invocation record, the handler's `Context`, the circuit
and the wake-up rule. Sits above the adapters and below every subsystem that uses them.
"""

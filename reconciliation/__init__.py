"""Reconciliation: finds the gaps the live path missed and queues them (SPEC §3).

Kept empty on purpose: hooks import `reconciliation.scheduler` alone (standard library only)
and must not pay for the engine.
"""

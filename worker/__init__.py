"""The worker: drains the queue one batch at a time through the sync step and turns each
scene's fate into its queue action (docs/worker.md). Modules are imported individually.
"""

"""Everything that talks to Stash: the log/progress protocol on stderr and GraphQL access.

Kept empty on purpose: hooks import single modules (`stash.log`) and pay for nothing else.
"""

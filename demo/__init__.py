"""The Stash2Plex demo (`make demo`): a Sync All through the sandbox, checked field by field.

`python -m demo` runs it (demo/run.py); demo/check.py holds the check the tests share.
"""

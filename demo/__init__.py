"""The Stash2Plex demo (`make demo`): reconcile a library with gaps of every kind, sync, check.

`python -m demo` runs it (demo/run.py); demo/library.py builds the starting library,
demo/report.py measures and prints, demo/check.py holds the check the tests share.
"""

"""The plugin frame: invocation parsing, the dispatch table, the hook handlers, results, the
manifest and the dependency bootstrap. Standard library only at import time (every hook).
"""

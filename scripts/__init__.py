"""Developer tools: packaging (`package.py`). Not shipped in the plugin zip."""

"""Settings and input validation: the settings table, config model, path map, snapshot.

Submodules are imported individually: `settings_table`, `path_map` and `snapshot` are
standard library only (the hook path may use them); `config` needs pydantic.
"""

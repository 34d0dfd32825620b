"""Exercise StashGateway with stashapi 0.1.x in a separate interpreter (it shadows 0.2.x).

Run as `python stashapi01_probe.py <alt-dir> <repo-root> <port> <cookie>`; writes one JSON
object with what each call returned to stdout. Used by test_stashapi01.py.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    alt, repo, port, cookie = sys.argv[1:5]
    sys.path[:0] = [alt, repo]

    import stashapi

    from base.errors import Stash2PlexError
    from stash.client import StashGateway

    conn = {"Scheme": "http", "Host": "0.0.0.0", "Port": int(port)}
    conn["SessionCookie"] = {"Name": "session", "Value": cookie}
    out: dict[str, object] = {"stashapi_file": stashapi.__file__}
    gateway = StashGateway.from_server_connection(conn)
    out["version"] = gateway.version()
    count, page = gateway.find_scenes_page(2, 5)
    out["page"] = [count, [s["id"] for s in page]]
    out["all_ids"] = [s["id"] for s in gateway.iter_scenes(per_page=5)]
    by_ids = gateway.scenes_by_ids([3, 999, 4])
    out["by_ids"] = sorted(by_ids)
    out["groups_of_3"] = by_ids[3]["groups"]
    out["settings"] = gateway.plugin_settings("Stash2Plex")
    out["settings_other"] = gateway.plugin_settings("NeverSaved")
    found = gateway.find_scenes(filter={"per_page": 3, "sort": "id"}, get_count=True)
    out["find_scenes"] = [found[0], [s["id"] for s in found[1]]]
    errors: dict[str, str] = {}
    try:
        gateway.find_scenes(filter={"sort": "bogus_sort"})
    except Stash2PlexError as exc:
        errors["bad_sort"] = type(exc).__name__
    try:
        StashGateway.from_server_connection(conn, api_key="wrong-key-5678")
    except Stash2PlexError as exc:
        errors["wrong_key"] = type(exc).__name__
        errors["wrong_key_text"] = str(exc) + repr(exc)
    out["errors"] = errors
    sys.stdout.write(json.dumps(out))


if __name__ == "__main__":
    main()

"""`python -m sandbox serve --scenes N`: start both emulators on a generated library.

Prints how to point the plugin (or plexapi/stashapi by hand) at them, then serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
import threading

from sandbox.generator import GeneratorOptions
from sandbox.stash_emu.releases import LATEST, RELEASES
from sandbox.world import start_sandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start the Plex and Stash emulators")
    serve.add_argument("--scenes", type=int, default=2000)
    serve.add_argument("--seed", type=int, default=1)
    serve.add_argument("--plex-port", type=int, default=32400)
    serve.add_argument("--stash-port", type=int, default=9999)
    serve.add_argument("--latency-ms", type=float, default=0.0)
    serve.add_argument("--plex-root", default="/media/videos")
    serve.add_argument("--stash-root", default="/data/videos")
    serve.add_argument("--stash-release", default=LATEST, choices=RELEASES)
    args = parser.parse_args(argv)

    options = GeneratorOptions(
        scenes=args.scenes, seed=args.seed, stash_root=args.stash_root, plex_root=args.plex_root
    )
    world = start_sandbox(
        options,
        plex_port=args.plex_port,
        stash_port=args.stash_port,
        latency_s=args.latency_ms / 1000.0,
        stash_release=args.stash_release,
    )
    lib = world.generated
    print(f"Stash emulator: {world.stash.url}/graphql ({len(lib.stash.scenes)} scenes)")
    print(f"Plex emulator:  {world.plex.url} ({len(lib.plex.items)} items)")
    print(f"Plex token:     {world.plex.token}")
    print(f"path_map:       {lib.truth.path_map or '(none needed)'}")
    print("Plugin settings are stored in the Stash emulator; run a task as Stash would:")
    print(
        '  echo \'{"server_connection": {"Scheme": "http", "Host": "127.0.0.1", '
        f'"Port": {world.stash.port}, "PluginDir": "."}}, "args": {{"mode": "status"}}}}\' '
        "| python Stash2Plex.py"
    )
    print("Ctrl-C stops both servers.")
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        world.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

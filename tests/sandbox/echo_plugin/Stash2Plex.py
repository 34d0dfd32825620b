"""Test double for the harness tests: behaves as the args tell it, reports what it was given.

Not the real plugin: it exists to prove the harness speaks Stash's process protocol.
"""

import json
import os
import sys
import time

raw = sys.stdin.buffer.read()
args = json.loads(raw)["args"]
action = args.get("action", "echo")
err = sys.stderr.buffer


def log(level: str, message: str) -> None:
    err.write(b"\x01" + level.encode() + b"\x02" + message.encode("utf-8") + b"\n")
    err.flush()


if action == "sleep":
    log("i", "sleeping")
    time.sleep(float(args.get("seconds", "30")))
if action == "progress":
    for value in ("0", "0.5", "1.5", "oops"):
        err.write(b"\x01p\x02" + value.encode() + b"\n")
    err.flush()
if action == "noise":
    err.write(b"plain traceback line\n")
    log("w", "careful")
    log("d", "detail")
    err.write(b"\x01i\x02" + b"x" * (70 * 1024) + b"\n")
    log("i", "after the long line")
if action == "bad_stdout":
    sys.stdout.write("stray print\n")
result = {
    "output": {
        "raw_stdin": raw.decode("utf-8"),
        "cwd": os.getcwd(),
        "pythonpath": os.environ.get("PYTHONPATH", ""),
        "data_dir": os.environ.get("STASH2PLEX_DATA_DIR"),
    },
    "error": args.get("error"),
}
sys.stdout.write(json.dumps(result))
sys.stdout.flush()
sys.exit(int(args.get("exit", "0")))

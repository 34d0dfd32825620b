"""StashGateway on stashapi 0.1.x (Python >= 3.11), in one subprocess against the emulator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sandbox.stash_emu import StashEmulator
from tests.stash.conftest import API_KEY, make_library

REPO = Path(__file__).resolve().parents[2]
ALT = REPO / ".venv" / "alt" / "stashapi-0.1"
PROBE = Path(__file__).with_name("stashapi01_probe.py")


def test_gateway_works_with_stashapi_01() -> None:
    assert (ALT / "stashapi" / "stashapp.py").is_file(), "run `make venv` to install stashapi 0.1"
    with StashEmulator(make_library(12)) as emu:
        emu.enable_auth()
        emu.api_key = API_KEY
        emu.set_plugin_settings("Stash2Plex", {"plex_url": "http://plex:32400"})
        cookie = emu.new_session_cookie()
        result = subprocess.run(
            [sys.executable, str(PROBE), str(ALT), str(REPO), str(emu.port), cookie],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=REPO,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        out = json.loads(result.stdout)
        counts = emu.log.counts()

    assert out["stashapi_file"].startswith(str(ALT))
    assert out["version"] == "v0.30.1"
    assert out["page"] == [12, ["6", "7", "8", "9", "10"]]
    assert out["all_ids"] == [str(i) for i in range(1, 13)]
    assert out["by_ids"] == [3, 4]
    assert out["groups_of_3"] == [{"group": {"id": "1", "name": "Group One"}, "scene_index": 4}]
    assert out["settings"] == {"plex_url": "http://plex:32400"}
    assert out["settings_other"] == {}
    assert out["find_scenes"] == [12, ["1", "2", "3"]]
    assert out["errors"]["bad_sort"] == "StashQueryError"
    assert out["errors"]["wrong_key"] == "StashAuthError"
    assert "wrong-key-5678" not in out["errors"]["wrong_key_text"]
    assert cookie not in result.stdout + result.stderr
    # two constructions: the second is refused at its first request (version)
    assert counts["graphql:__schema"] == 1
    assert counts["graphql:version"] == 2

"""Sandbox load benchmark: a 50,000-scene library generated and served by both emulators.

Times the three steps `sandbox.world.start_sandbox` takes (generate the library, start the
Plex and Stash emulators on it), then proves both serve it: one `findScenes` page through
stashapi (the client our plugin uses; its connection requests included) and one Plex
listing page of the first section (a raw GET, as plexapi sends it). Budget (issue 2): ≤ 30 s
from nothing to both answering. Counts are checked against the library (scene count,
page sizes, the section's total). Peak RSS is this one process (generator and both
emulators). Records the numbers in docs/benchmarks.md between this benchmark's markers.

Usage: python bench/sandbox_load.py [--scenes 50000] [--no-write]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import requests
from stashapi.stashapp import StashInterface

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import BENCHMARKS_MD, machine_line, peak_rss_mb, write_section  # noqa: E402

SECTION = "sandbox_load"
BUDGET_WALL_S = 30.0
PAGE = 100


def _stash_page(port: int) -> tuple[int, int]:
    """(count, scenes on the page) of one findScenes page through stashapi."""
    stash = StashInterface(
        {"Scheme": "http", "Host": "127.0.0.1", "Port": port, "Logger": logging.getLogger(SECTION)}
    )
    count, scenes = stash.find_scenes(
        filter={"page": 1, "per_page": PAGE, "sort": "id", "direction": "ASC"},
        fragment="id title updated_at files { path }",
        get_count=True,
    )
    return int(count), len(scenes)


def _plex_page(url: str, token: str, section_id: int) -> tuple[int, int]:
    """(totalSize, items on the page) of one listing page of a section."""
    answer = requests.get(
        f"{url}/library/sections/{section_id}/all",
        params={"X-Plex-Container-Start": 0, "X-Plex-Container-Size": PAGE},
        headers={"X-Plex-Token": token, "Accept": "application/xml"},
        timeout=30,
    )
    answer.raise_for_status()
    root = ET.fromstring(answer.content)
    return int(root.get("totalSize", "-1")), len(list(root))


@dataclass
class LoadNumbers:
    """One measurement: step times (s), what each emulator served, peak RSS (MB)."""

    scenes: int
    plex_items: int
    generate_s: float
    start_s: float
    stash_page_s: float
    plex_page_s: float
    stash_count: int  # findScenes `count`
    stash_page: int  # scenes on the page
    stash_requests: int  # served to stashapi, its connection checks included
    section_items: int  # items of the first section in the library
    plex_total: int  # the listing's totalSize
    plex_page: int  # items on the page
    rss_mb: float

    @property
    def wall_s(self) -> float:
        return self.generate_s + self.start_s + self.stash_page_s + self.plex_page_s

    @property
    def counts_ok(self) -> bool:
        return (
            self.stash_count == self.scenes
            and self.stash_page == min(PAGE, self.scenes)
            and self.plex_total == self.section_items
            and self.plex_page == min(PAGE, self.section_items)
        )

    @property
    def within_budget(self) -> bool:
        return self.counts_ok and self.wall_s <= BUDGET_WALL_S


def measure(scenes: int) -> LoadNumbers:
    """Generate, start both emulators, ask each for one page (see the module docstring)."""
    from sandbox.generator import GeneratorOptions, generate
    from sandbox.plex_emu import PlexEmulator
    from sandbox.stash_emu import StashEmulator

    started = time.perf_counter()
    lib = generate(GeneratorOptions(scenes=scenes))
    generated = time.perf_counter()
    section_id = min(lib.plex.sections)
    with (
        PlexEmulator(library=lib.plex) as plex,
        StashEmulator(library=lib.stash, tz_offset=lib.options.tz_offset) as stash,
    ):
        serving = time.perf_counter()
        stash_count, stash_page = _stash_page(stash.port)
        stash_done = time.perf_counter()
        plex_total, plex_page = _plex_page(plex.url, plex.token, section_id)
        finished = time.perf_counter()
        stash_requests = len(stash.log)
    return LoadNumbers(
        scenes=scenes,
        plex_items=len(lib.plex.items),
        generate_s=generated - started,
        start_s=serving - generated,
        stash_page_s=stash_done - serving,
        plex_page_s=finished - stash_done,
        stash_count=stash_count,
        stash_page=stash_page,
        stash_requests=stash_requests,
        section_items=sum(1 for i in lib.plex.items.values() if i.section_id == section_id),
        plex_total=plex_total,
        plex_page=plex_page,
        rss_mb=peak_rss_mb(),
    )


def render_section(n: LoadNumbers) -> str:
    verdict = "within budget" if n.within_budget else "OVER BUDGET"
    return (
        "## Sandbox load (`bench/sandbox_load.py`)\n\n"
        f"A generated library of {n.scenes:,} scenes ({n.plex_items:,} Plex items) loaded into "
        "both emulators in one process, as `sandbox.world.start_sandbox` does, then one "
        f"`findScenes` page of {PAGE} through stashapi ({n.stash_requests} requests, its "
        "connection checks included) and one listing page of the first Plex section (raw GET). "
        f"Counts served equal to the library: **{n.counts_ok}** (Stash count "
        f"{n.stash_count:,}, Plex section total {n.plex_total:,}).\n\n"
        "| Step | Wall | Budget |\n|---|---|---|\n"
        f"| generate the library | {n.generate_s:.2f} s | |\n"
        f"| start both emulators | {n.start_s:.2f} s | |\n"
        f"| first Stash page (stashapi) | {n.stash_page_s:.2f} s | |\n"
        f"| first Plex listing page | {n.plex_page_s:.2f} s | |\n"
        f"| **nothing to both serving** | **{n.wall_s:.2f} s** | ≤ {BUDGET_WALL_S:.0f} s |\n"
        f"| peak RSS of the process | {n.rss_mb:.0f} MB | |\n\n"
        f"Verdict: **{verdict}**. {machine_line()}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sandbox load benchmark")
    parser.add_argument("--scenes", type=int, default=50_000)
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    args = parser.parse_args(argv)
    numbers = measure(args.scenes)
    section = render_section(numbers)
    print(section)
    if not args.no_write:
        write_section(SECTION, section)
        print(f"updated {BENCHMARKS_MD}")
    return 0 if numbers.within_budget else 1


if __name__ == "__main__":
    sys.exit(main())

"""Hostile metadata for the reliability suite: every script, controls, emoji, lists, long paths.

`plant` writes one hostile case onto a scene of the Stash emulator's live library (new entities
get ids far above the generator's); `long_path` moves a matched scene's file, on both sides,
under a 4,000-character folder. Values stay where SPEC §2.5 and the generator's independent
expectation agree; `plant_divergent` covers the rest with the SPEC's own expectation.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.generator import GeneratedLibrary
from sandbox.generator.desired import clean_text
from sandbox.model import StashPerformer, StashScene, StashStudio, StashTag

# One sample per script (and the astral planes): names, titles and details are drawn from them.
SCRIPTS: dict[str, str] = {
    "Latin": "Ångström Ça va Łódź Øre Straße",
    "Cyrillic": "Привет мир Ёжик",
    "Greek": "Καλημέρα κόσμε",
    "Arabic": "مرحبا بالعالم",
    "Hebrew": "שלום עולם",
    "Chinese": "你好世界",
    "Japanese": "こんにちはカタカナ漢字",
    "Korean": "안녕하세요 세계",
    "Devanagari": "नमस्ते दुनिया",
    "Thai": "สวัสดีชาวโลก",
    "Bengali": "ওহে বিশ্ব",
    "Tamil": "வணக்கம் உலகம்",
    "Georgian": "გამარჯობა",
    "Armenian": "Բարեւ աշխարհ",
    "Ethiopic": "ሰላም ልዑል",
    "Tibetan": "བཀྲ་ཤིས་བདེ་ལེགས",
    "Khmer": "សួស្តី\u200bពិភពលោក",
    "Sinhala": "ආයුබෝවන්",
    "Mongolian": "ᠰᠠᠢᠨ ᠪᠠᠢᠨ\u180eᠠ",
    "Cherokee": "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ",
    "Astral": "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𓀀𓁐 𠜎𠜱",
}

# Names that break naive encoders: separators, quotes, query syntax, percent escapes, markup.
PUNCTUATION_NAMES = [
    "O'Brien, Jr.",
    'Tom "The Bomb" Smith',
    "A&B=C",
    "100% Real + More",
    "x=1&y=2",
    "genre[0].tag.tag=Injected",
    "id=1&type=2",
    "%41%42 stays literal",
    "a+b c",
    "semi;colon#hash?q/slash\\back",
    "<b>html</b> &amp; entity",
    "comma,separated,list",
    "„low“ «guillemets» ‚single‘",
]

CONTROLS = "Nul\x00Bell\x07Esc\x1b[0mDel\x7fC1\x85\x9fEnd"
EMOJI_RTL = "👨‍👩‍👧‍👦 Family 🏳️‍🌈 🇯🇵🇫🇷 👍🏽 \u200fمرحبا\u200e שלום \u202eRLO\u202c"
NFD_TITLE = unicodedata.normalize("NFD", "Café Zoë Ångström Ổ Ελληνικά ñandú")
ZALGO = "Z\u0337\u0322a\u0338l\u0335g\u0336o\u0334"
ENTITY_BASE = 5_000_000  # ids of planted entities: far above anything generated


@dataclass
class Planter:
    """Adds entities to the live library; each scene gets its own id block."""

    generated: GeneratedLibrary
    scene_id: int
    used: int = 0

    def _next(self) -> int:
        self.used += 1
        return ENTITY_BASE + self.scene_id * 10_000 + self.used

    def tags(self, names: list[str]) -> list[int]:
        ids = [self._next() for _ in names]
        for tid, name in zip(ids, names, strict=True):
            self.generated.stash.tags[tid] = StashTag(tid, name)
        return ids

    def performers(self, names: list[str]) -> list[int]:
        ids = [self._next() for _ in names]
        for pid, name in zip(ids, names, strict=True):
            self.generated.stash.performers[pid] = StashPerformer(pid, name)
        return ids

    def studio(self, name: str) -> int:
        sid = self._next()
        self.generated.stash.studios[sid] = StashStudio(sid, name)
        return sid


def megabyte_details() -> str:
    """Over 1 MB of every script, emoji and controls; the 10,000-character cut lands on ASCII."""
    line = (
        "Plain words, punctuation & 100% = fine; emoji 😀, مرحبا and 你好 in between,"
        " \x00 NUL \x07 bell \x1b[31m escape and a Windows line end\r\n"
    )
    body = line * (1_000_000 // len(line) + 2)
    pad = ""
    # Both expectations cut at 10,000 characters; keep that cut away from a grapheme cluster
    # (the plugin backs off a cluster, the generator does not: the SPEC only says "<= 10,000").
    while not _plain(clean_text(pad + body)[9_998:10_001]):
        pad += "x"
    return pad + body


def _plain(window: str) -> bool:
    return window.isascii() and window.isalnum()


def cjk_details() -> str:
    """A megabyte of CJK text: 10,000 characters of it take about 85 KB in an edit URL."""
    line = "你好世界。日本語のテキスト、한국어 문장입니다. "
    return line * (1_000_000 // len(line) + 1)


def _fitting_title(parts: list[str], limit: int = 250) -> str:
    out = ""
    for part in parts:
        trial = f"{out} · {part}" if out else part
        if len(trial) > limit:
            break
        out = trial
    return out


def _plant_megabyte(p: Planter, scene: StashScene, rng: random.Random) -> None:
    scene.title = "A megabyte of details"
    scene.details = megabyte_details()


def _plant_cjk(p: Planter, scene: StashScene, rng: random.Random) -> None:
    scene.title = "CJK details over the URL limit"
    scene.details = cjk_details()
    scene.tag_ids = p.tags(["長い説明"])


def _plant_controls(p: Planter, scene: StashScene, rng: random.Random) -> None:
    scene.title = CONTROLS
    scene.details = f"line one {CONTROLS}\n\ttabbed line two\x00\nthree"
    scene.studio_id = p.studio(f"Studio\x00\x01 {CONTROLS}")
    scene.tag_ids = p.tags([f"Tag\x1fUnit {CONTROLS}", "Plain\x00Tag"])
    scene.performer_ids = p.performers(["Per\x00former\x9f One"])


def _plant_emoji_rtl(p: Planter, scene: StashScene, rng: random.Random) -> None:
    scene.title = EMOJI_RTL
    scene.details = f"{EMOJI_RTL}\n{SCRIPTS['Arabic']}\n{SCRIPTS['Hebrew']}"
    scene.tag_ids = p.tags(["🎬 Film", "🏳️‍🌈", "👍🏽👍🏿", "\u200fעברית\u200f"])
    scene.performer_ids = p.performers(["\u200fمحمد علي", "דנה כהן"])


def _plant_nfd(p: Planter, scene: StashScene, rng: random.Random) -> None:
    scene.title = NFD_TITLE
    scene.details = f"{NFD_TITLE}\n{ZALGO}"
    scene.tag_ids = p.tags([ZALGO, unicodedata.normalize("NFD", "Ça Ṩ ǅ")])
    scene.performer_ids = p.performers([unicodedata.normalize("NFD", "한국어 Zoë")])


def _plant_scripts(p: Planter, scene: StashScene, rng: random.Random) -> None:
    samples = list(SCRIPTS.values())
    rng.shuffle(samples)
    scene.title = _fitting_title(samples)
    scene.details = "\n".join(f"{name}: {text}" for name, text in SCRIPTS.items())
    scene.studio_id = p.studio(f"{SCRIPTS['Japanese']} Studio")
    scene.tag_ids = p.tags([f"{name} {text}" for name, text in SCRIPTS.items()])
    scene.performer_ids = p.performers(list(SCRIPTS.values()))


def _plant_many_tags(p: Planter, scene: StashScene, rng: random.Random) -> None:
    scripts = list(SCRIPTS.values())
    names = [f'Tag {i:04d}, "q" & 100% + a=b {scripts[i % len(scripts)]}' for i in range(2000)]
    scene.title = "Two thousand tags"
    scene.tag_ids = p.tags(names)
    scene.performer_ids = p.performers([f"Performer {i:03d} {scripts[i % 7]}" for i in range(300)])


def _plant_punctuation(p: Planter, scene: StashScene, rng: random.Random) -> None:
    scene.title = 'Commas, "quotes" & 100% = a+b'
    scene.details = "\n".join(PUNCTUATION_NAMES)
    scene.studio_id = p.studio('Smith & Sons, "Ltd" = 100% + more')
    scene.tag_ids = p.tags(PUNCTUATION_NAMES)
    scene.performer_ids = p.performers(PUNCTUATION_NAMES[::-1])


def _plant_overlong(p: Planter, scene: StashScene, rng: random.Random) -> None:
    # No spaces near the 255 cut: the generator cuts plainly, the plugin also trims.
    scene.title = "T" * 300
    scene.studio_id = p.studio("S" * 300)
    scene.tag_ids = p.tags(["G" * 1000, "g" * 256])  # one name once cut: case-insensitive
    scene.performer_ids = p.performers(["P" * 400])


# Cases whose summary edit alone is longer than a 64 KiB URL limit: they fail with one line.
OVER_URL_LIMIT = frozenset({"10,000 CJK characters"})

CASES: dict[str, Callable[[Planter, StashScene, random.Random], None]] = {
    "1 MB details": _plant_megabyte,
    "10,000 CJK characters": _plant_cjk,
    "controls and NUL": _plant_controls,
    "emoji and right-to-left": _plant_emoji_rtl,
    "NFD and combining": _plant_nfd,
    "every script": _plant_scripts,
    "2,000 tags": _plant_many_tags,
    "punctuation in names": _plant_punctuation,
    "over-long names": _plant_overlong,
}


def plant(generated: GeneratedLibrary, scene_id: int, case: str, rng: random.Random) -> None:
    """Put hostile case `case` on scene `scene_id` (under the library's lock)."""
    with generated.stash.lock:
        CASES[case](Planter(generated, scene_id), generated.stash.scenes[scene_id], rng)


def path_candidates(generated: GeneratedLibrary) -> list[int]:
    """Matched scenes with one file and one single-part item, the path equal up to the map."""
    truth = generated.truth
    out = []
    for sid, st in truth.scenes.items():
        scene = generated.stash.scenes[sid]
        if len(st.targets) != 1 or len(scene.files) != 1 or sid in truth.nfd:
            continue
        if sid in truth.no_metadata or st.method not in ("exact", "mapped"):
            continue
        item = generated.plex.items[st.targets[0][1]]
        parts = [part for media in item.media for part in media.parts]
        if len(parts) == 1 and "/" in scene.files[0].path and "/" in parts[0].file:
            out.append(sid)
    return sorted(out)


def long_path(generated: GeneratedLibrary, scene_id: int, length: int = 4_000) -> str:
    """Move the scene's file under a folder chain making its Stash path `length` characters."""
    scene = generated.stash.scenes[scene_id]
    target = generated.truth.scenes[scene_id].targets[0][1]
    item = generated.plex.items[target]
    part = next(part for media in item.media for part in media.parts)
    stash_dir, base = scene.files[0].path.rsplit("/", 1)
    plex_dir, plex_base = part.file.rsplit("/", 1)
    segment = "Ünïcödé 長いフォルダ Папка"
    chain = ""
    while len(f"{stash_dir}{chain}/{base}") < length:
        chain += f"/{segment} {len(chain):04d}"
    chain = chain[: len(chain) - (len(f"{stash_dir}{chain}/{base}") - length)]
    if chain.endswith(("/", " ")):
        chain = chain[:-1] + "x"  # no empty folder name, no trailing space
    with generated.stash.lock:
        scene.files[0].path = f"{stash_dir}{chain}/{base}"
    part.file = f"{plex_dir}{chain}/{plex_base}"
    generated.truth.scenes[scene_id].plex_paths = [part.file]
    return scene.files[0].path

"""Words and name builders for generated metadata and file names, hostile ones included.

All strings are NFC; file-name words avoid the characters Windows forbids (\\ / : * ? " < > |)
so one relative path is valid on both hosts.
"""

from __future__ import annotations

import random
import unicodedata

from sandbox.generator.draw import between, pick


def _nfc(words: list[str]) -> list[str]:
    return [unicodedata.normalize("NFC", w) for w in words]


def _split(text: str) -> list[str]:
    return _nfc(text.split())


WORDS = _split(
    "sunset beach morning river forest city night summer winter garden harbor valley "
    "mountain island desert meadow canyon lagoon station market bridge tower lantern "
    "velvet amber silver crimson golden midnight hidden secret quiet wild lucky brave "
    "journey story dream echo shadow mirror window letter promise return escape"
)
# Words for file names: spaces, & ' % # + , _ and non-Latin scripts, all legal on Windows.
FILE_WORDS = [
    *WORDS,
    *_nfc(
        [
            "Rock & Roll",
            "Director's Cut",
            "100% Real",
            "#1 Pick",
            "C++ Take",
            "One, Two",
            "snake_case",
            "東京",
            "Привет",
            "🌅 Dawn",
            "[Remastered]",
        ]
    ),
]
# Words with precomposed letters: their NFD form differs (the macOS-scanned path case).
ACCENTED = _nfc(["Café", "Crème", "Zürich", "São Paulo", "Ångström", "Mañana", "Noël", "Élan"])
TITLE_EXTRAS = _nfc(
    ['"Quoted"', "& Friends", "100%", "🔥", "עברית", "مرحبا", "<b>bold</b>", "Ünïcödé", "#42"]
)
SPECIAL_TAGS = _nfc(
    [
        "Behind the Scenes, Extras",
        'Director\'s "Cut"',
        "Rock & Roll",
        "100% Pure",
        "100%25 Literal",
        "🔥 Hot",
        "Family 👩\u200d👩\u200d👧",
        "عربي",
        "עברית",
        "Sci-Fi / Fantasy",
        "C++ <Code> #1",
        "A,B",
        "Plus+Minus",
        "Ünïcödé Tag",
        "Long " + "x" * 295,  # over the 255-character name limit
    ]
)
FIRST_NAMES = _split(
    "Anna Zoë José Björk Søren Léa Mia Ava Noah Liam Chloé Ömer Ines Kai Maya Luca Nora "
    "Felix Sara Hugo Elif Jonas Aiko さくら Игорь ليلى Nguyễn"
)
LAST_NAMES = [
    *_split("Smith O'Brien Müller García Rossi Dubois Novák Kowalski Andersson Tanaka Kim"),
    *_split("Silva Ivanova Haddad Cohen Nakamura Jensen Moreau"),
    "Van der Berg",
]
STUDIO_SUFFIXES = ["Studios", "Media", "Films", "Productions", "& Co.", "Pictures", "Works"]
EXTENSIONS = [".mp4"] * 6 + [".mkv", ".mkv", ".avi", ".MP4", ".m4v", ".wmv"]
CONTAINERS = {".mp4": "mp4", ".mkv": "mkv", ".avi": "avi", ".m4v": "mp4", ".wmv": "asf"}
DETAIL_EXTRAS = _nfc(
    ["Ünïcödé ✓", "emoji 🎬🍿", "עברית ומילים", "كلمات عربية", '"quotes" & <angles>', "100%"]
)


def words(rng: random.Random, low: int, high: int, pool: list[str] = WORDS) -> str:
    return " ".join(rng.choices(pool, k=between(rng, low, high)))


def title(rng: random.Random) -> str:
    text = words(rng, 2, 5).title()
    if rng.random() < 0.15:
        text = f"{text} {pick(rng, TITLE_EXTRAS)}"
    return text


def details(rng: random.Random, long: bool = False) -> str:
    """Multi-line text; `long` ones exceed the 10,000-character summary limit."""
    paragraphs = []
    for _ in range(between(rng, 1, 4)):
        sentence = words(rng, 5, 14).capitalize() + "."
        if rng.random() < 0.3:
            sentence += " " + pick(rng, DETAIL_EXTRAS)
        paragraphs.append(sentence)
    text = pick(rng, ["\n", "\n\n"]).join(paragraphs)
    if long:
        filler = " ".join(WORDS)
        text = text + "\n" + (filler + "\n") * (10_500 // len(filler) + 1)
    return text


def file_stem(rng: random.Random, token: str) -> str:
    """'<words>[ (YYYY)] - <token>': the token keeps basenames unique."""
    text = words(rng, 1, 3, FILE_WORDS)
    if rng.random() < 0.35:
        text = f"{text} ({between(rng, 1995, 2025)})"
    return f"{text} - {token}"


def folder_name(name: str) -> str:
    """A name made safe as a Windows and POSIX folder name."""
    safe = "".join("_" if ch in '\\/:*?"<>|' else ch for ch in name)
    return safe.strip(" .") or "_"


def unique(name: str, seen: set[str]) -> str:
    """`name`, or `name N` for the first N that is not taken (case-insensitively)."""
    candidate, n = name, 2
    while candidate.casefold() in seen:
        candidate, n = f"{name} {n}", n + 1
    seen.add(candidate.casefold())
    return candidate

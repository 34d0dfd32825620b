"""Deterministic generator of matching Stash and Plex libraries with every case planted.

`generate(GeneratorOptions(...))` returns both emulators' libraries and a `Truth` naming what
the plugin should conclude for each scene; see docs/sandbox-generator.md.
"""

from __future__ import annotations

from sandbox.generator.core import GeneratedLibrary, generate
from sandbox.generator.desired import DesiredItem, desired_item
from sandbox.generator.options import GeneratorOptions, SectionSpec, default_sections
from sandbox.generator.truth import SceneTruth, Truth

__all__ = [
    "DesiredItem",
    "GeneratedLibrary",
    "GeneratorOptions",
    "SceneTruth",
    "SectionSpec",
    "Truth",
    "default_sections",
    "desired_item",
    "generate",
]

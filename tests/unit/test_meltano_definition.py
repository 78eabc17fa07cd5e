"""The Hub-style definition and meltano.yml's loader are what ``target-upwell --about`` says.

The settings are written once, in ``target.py``; the definition is generated from
``--about`` and meltano.yml's loader carries the same entries, so a setting added, renamed
or re-described without regenerating fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from target_upwell.commands import hub_definition
from tests.conftest import ROOT

DEFINITION = ROOT / "target-upwell.meltano-hub.yml"
REGENERATE = (
    "python -m target_upwell.commands.hub_definition --output target-upwell.meltano-hub.yml"
)


@pytest.fixture(scope="module")
def about() -> dict[str, Any]:
    return hub_definition.about()


def loader(project: dict[str, Any]) -> dict[str, Any]:
    (entry,) = [p for p in project["plugins"]["loaders"] if p["name"] == "target-upwell"]
    return entry


def test_the_definition_file_is_what_about_generates(about: dict[str, Any]) -> None:
    expected = hub_definition.HEADER + hub_definition.to_yaml(hub_definition.definition(about))

    assert DEFINITION.read_text(encoding="utf-8") == expected, f"run: {REGENERATE}"


def test_the_yaml_written_reads_back_as_the_definition(about: dict[str, Any]) -> None:
    definition = hub_definition.definition(about)

    assert yaml.safe_load(hub_definition.to_yaml(definition)) == definition


def test_every_setting_of_about_is_declared_once_with_its_kind(about: dict[str, Any]) -> None:
    definition = yaml.safe_load(DEFINITION.read_text(encoding="utf-8"))
    settings = {s["name"]: s for s in definition["settings"]}

    assert [s["name"] for s in definition["settings"]] == list(about["settings"]["properties"])
    assert settings["api_key"] == {
        "name": "api_key",
        "label": "API key",
        "kind": "string",
        "description": about["settings"]["properties"]["api_key"]["description"],
        "sensitive": True,
    }
    assert [name for name, s in settings.items() if s.get("sensitive")] == ["api_key"]
    assert settings["load_method"]["kind"] == "options"
    assert [o["value"] for o in settings["load_method"]["options"]] == ["upsert", "append-only"]
    assert settings["max_requests_per_second"]["kind"] == "decimal"
    assert settings["dead_letter_include_record"]["value"] is True
    assert definition["settings_group_validation"] == [["api_key"]]
    assert definition["capabilities"] == about["capabilities"]
    assert "structured-logging" in definition["capabilities"]


def test_meltano_yml_declares_the_loader_as_the_definition_does() -> None:
    definition = yaml.safe_load(DEFINITION.read_text(encoding="utf-8"))
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    entry = loader(project)

    fields = ["namespace", "executable", "capabilities", "settings_group_validation"]
    for name in [*fields, "commands", "settings"]:
        assert entry[name] == definition[name], f"meltano.yml's {name} differs from {DEFINITION}"

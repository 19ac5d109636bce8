"""The docs that must stay true as the code changes."""

import re
from pathlib import Path

from tongban import config

REPO = Path(config.__file__).resolve().parents[2]


def test_every_environment_variable_read_in_config_is_documented():
    source = Path(config.__file__).read_text(encoding="utf-8")
    names = set(re.findall(r'_(?:env|env_bool|env_list|required|required_any)\("([A-Z0-9_]+)"', source))
    documented = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert names, "the pattern must find the variables"
    assert sorted(name for name in names if f"`{name}`" not in documented) == []


def test_english_catalogue_has_no_untranslated_or_fuzzy_entries():
    po = (REPO / "src" / "tongban" / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = po.strip().split("\n\n")[1:]  # the first block is the catalogue's header
    assert [entry for entry in entries if "#, fuzzy" in entry] == []
    # An untranslated entry ends with an empty msgstr and no continuation lines.
    assert [entry for entry in entries if entry.rstrip().endswith('msgstr ""')] == []

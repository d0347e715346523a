from __future__ import annotations

from pathlib import Path

import pytest

from policies import PolicyPackError, load_pack
from policies.pack import DEFAULT_PACK


def test_default_pack_loads_with_a_version() -> None:
    pack = load_pack()
    assert pack.id == "default"
    assert pack.version
    assert set(pack.incentive_limits.tiers) == {"standard", "silver", "gold", "platinum"}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(lambda text: text + "\n  - [unclosed", "invalid YAML", id="bad-yaml"),
        pytest.param(
            lambda text: text + "\nsurprise: 1\n",
            "surprise: Extra inputs are not permitted",
            id="unknown-field",
        ),
        pytest.param(
            lambda text: text.replace('version: "2026.11.1"', 'version: ""'),
            "version:",
            id="empty-version",
        ),
        pytest.param(
            lambda text: text.replace("when: 'action.channel", "when: 'action.channel &&"),
            "rules.0.when",
            id="bad-cel",
        ),
        pytest.param(
            lambda text: text.replace("percent: 10,", "percent: 110,"),
            "percent",
            id="percent-over-100",
        ),
    ],
)
def test_bad_packs_name_the_file_and_field(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "pack.yaml"
    path.write_text(edit(DEFAULT_PACK.read_text()))
    with pytest.raises(PolicyPackError) as info:
        load_pack(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyPackError, match="cannot read"):
        load_pack(tmp_path / "nope.yaml")

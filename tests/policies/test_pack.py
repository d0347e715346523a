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
            lambda text: text.replace('version: "2026.12.3"', 'version: ""'),
            "version:",
            id="empty-version",
        ),
        pytest.param(
            lambda text: text.replace("when: 'action.channel", "when: 'action.channel &&"),
            "rules.1.when: Value error, rule 'do_not_call': invalid CEL",
            id="bad-cel-names-the-rule",
        ),
        pytest.param(
            lambda text: text.replace('start: "21:00"', "start: 21:00"),
            "quiet_hours.start",
            id="unquoted-time-is-yaml-sexagesimal",  # 21:00 unquoted is the integer 1260
        ),
        pytest.param(
            lambda text: text.replace('version: "2026.12.3"', "version: latest"),
            "version:",
            id="version-not-a-calendar-version",
        ),
        pytest.param(
            lambda text: text.replace("deny_above: 150", "deny_above: 20"),
            "goodwill_credit: Value error, deny_above must not be below",
            id="credit-thresholds-out-of-order",
        ),
        pytest.param(
            lambda text: text.replace("complaint: suppressed_open_complaint", "complaint: ok"),
            "suppression.case_types",
            id="suppression-code-that-does-not-suppress",
        ),
        pytest.param(
            lambda text: text.replace("id: large_discount_review", "id: do_not_call"),
            "rule id 'do_not_call' is used twice",
            id="duplicate-rule-id",
        ),
        pytest.param(
            lambda text: text.replace("amount: 10,", "amount: 10.555,"),
            "incentive_limits.tiers.standard.amount",
            id="limit-finer-than-cents",  # a capped offer must stay a valid offer
        ),
        pytest.param(
            lambda text: text.replace("review_by: 2026-11-15", "review_by: soon"),
            "rules.2.review_by",
            id="review-date-not-a-date",
        ),
        pytest.param(
            lambda text: text.replace("owner: retention-leads@northwind.example", 'owner: ""'),
            "rules.2.owner",
            id="empty-owner",
        ),
        pytest.param(lambda text: "", "(top level)", id="empty-file"),
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


def test_rules_are_compiled_when_the_pack_loads() -> None:
    pack = load_pack()
    assert [rule.program.source for rule in pack.rules] == [rule.when for rule in pack.rules]


def test_a_copied_rule_with_a_new_condition_is_compiled_again() -> None:
    rule = load_pack().rules[0]
    copy = rule.model_copy(update={"when": "true"})
    assert copy.program.source == "true"
    assert copy.program.execute({}) is True

"""Parsing playbook files: the demo set loads, and each kind of mistake is named with its file."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.playbooks import Playbook, PlaybookError, load_playbooks, parse_playbook
from tools import ActionType

DEMO = Path(__file__).resolve().parents[3] / "data" / "demo" / "playbooks"

GOOD = """\
---
id: billing-test
version: 2
title: A test playbook for billing
journey: billing_dispute
intents: [unexpected_charge]
channels: [chat, email]
segments: [smb]
conditions: ['signals.effort.level != "low"']
owner: qa@example.com
actions:
  - type: send_message
    weight: 0.7
    args: {channel: email, purpose: service, template_id: billing_ack}
    when: 'profile.tier == "gold"'
  - type: no_action
---
## When to use
Body text.
"""


def _with(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


def test_parses_front_matter_and_body() -> None:
    playbook = parse_playbook(GOOD, source="billing.md")
    assert playbook.key == "billing-test@2"
    assert playbook.channels == ["chat", "email"]
    assert playbook.segments == ["smb"]
    assert playbook.actions[0].type == ActionType.SEND_MESSAGE
    assert playbook.actions[0].args["template_id"] == "billing_ack"
    assert playbook.actions[0].when == 'profile.tier == "gold"'
    assert playbook.actions[1].type == ActionType.NO_ACTION
    assert playbook.body == "## When to use\nBody text."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("no front matter\n", "billing.md: must start with a '---'", id="no-front"),
        pytest.param("---\nid: x\n", "billing.md: front matter is not closed", id="unclosed"),
        pytest.param("---\n[a, b\n---\n", "billing.md: invalid YAML", id="bad-yaml"),
        pytest.param("---\n- a\n---\n", "billing.md: front matter must be a mapping", id="list"),
        pytest.param(
            _with("type: send_message", "type: send_pigeon"),
            "billing.md: actions.0.type: Input should be",
            id="bad-action-type",
        ),
        pytest.param(
            _with("version: 2", "version: 0"),
            "billing.md: version: Input should be greater than or equal to 1",
            id="bad-version",
        ),
        pytest.param(
            _with("owner: qa@example.com\n", ""), "billing.md: owner: Field required", id="owner"
        ),
        pytest.param(
            _with("owner: qa@example.com\n", "owner: qa@example.com\nreview_by: next spring\n"),
            "billing.md: review_by: Input should be a valid date",
            id="review-date",
        ),
        pytest.param(
            _with("channels: [chat, email]", "channels: [chat]\ncolour: red"),
            "billing.md: colour: Extra inputs are not permitted",
            id="unknown-field",
        ),
        pytest.param(
            _with("""'signals.effort.level != "low"'""", "'signals.effort.level !='"),
            "billing.md: conditions.0: invalid CEL 'signals.effort.level !='",
            id="bad-condition",
        ),
        pytest.param(
            _with("""'profile.tier == "gold"'""", "'profile.tier == (('"),
            "billing.md: actions.0.when: invalid CEL 'profile.tier == (('",
            id="bad-when",
        ),
        pytest.param(
            _with("template_id: billing_ack", "template_id: billing_ack, colour: red"),
            "billing.md: actions.0.args: unknown argument(s) colour for send_message",
            id="unknown-arg",
        ),
        pytest.param(
            _with("channel: email, purpose", "channel: pigeon, purpose"),
            "billing.md: actions.0.args.channel: Input should be",
            id="bad-arg-value",
        ),
        pytest.param(
            _with("template_id: billing_ack", "template_id: 'billing ack'"),
            "billing.md: actions.0.args.template_id: String should match pattern",
            id="bad-arg-pattern",
        ),
        pytest.param(
            _with("  - type: no_action\n", "  - type: no_action\n    args: {reason: ''}\n"),
            "billing.md: actions.1.args.reason: String should have at least 1 character",
            id="bad-arg-in-second-action",
        ),
    ],
)
def test_errors_name_file_and_field(text: str, message: str) -> None:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, source="billing.md")
    assert str(caught.value).startswith(message), str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_partial_args_leave_cross_field_rules_to_the_planner() -> None:
    # amount_discount needs a currency (a model-level rule); the planner fills it from the profile
    text = _with(
        "  - type: no_action\n",
        "  - type: offer_incentive\n    args: {kind: amount_discount, value: 10}\n",
    )
    playbook = parse_playbook(text, source="billing.md")
    assert playbook.actions[1].args == {"kind": "amount_discount", "value": 10}


def test_loads_the_demo_folder_sorted_by_file_name() -> None:
    playbooks = load_playbooks(DEMO)
    assert len(playbooks) == 41
    files = sorted(DEMO.glob("*.md"))
    assert [p.id for p in playbooks] == [f.stem for f in files]
    assert all(isinstance(p, Playbook) and p.body for p in playbooks)


def test_loads_a_single_file(tmp_path: Path) -> None:
    path = tmp_path / "one.md"
    path.write_text(GOOD)
    assert [p.key for p in load_playbooks(path)] == ["billing-test@2"]


def test_duplicate_id_and_version_in_one_load(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(GOOD)
    (tmp_path / "b.md").write_text(GOOD.replace("title: A test", "title: Another test"))
    with pytest.raises(PlaybookError, match=r"b\.md: billing-test@2 is also defined in a\.md"):
        load_playbooks(tmp_path)


def test_same_id_other_version_is_fine(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(GOOD)
    (tmp_path / "b.md").write_text(GOOD.replace("version: 2", "version: 3"))
    assert [p.key for p in load_playbooks(tmp_path)] == ["billing-test@2", "billing-test@3"]


def test_bad_file_in_a_folder_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(GOOD)
    (tmp_path / "broken.md").write_text(_with("journey: billing_dispute", "journey: Billing"))
    with pytest.raises(PlaybookError, match=r"^broken\.md: journey: String should match"):
        load_playbooks(tmp_path)


def test_missing_path() -> None:
    with pytest.raises(PlaybookError, match="no such file or directory"):
        load_playbooks(Path("/nonexistent/playbooks"))

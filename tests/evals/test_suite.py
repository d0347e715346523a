from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agent.demo import DEMO_DIR
from agent.embeddings import Embedder
from agent.playbooks import load_playbooks
from agent.signals.intent import load_catalogue
from evals.independence import COSINE_AT, references, similar_in_meaning
from evals.suite import SUITES_DIR, SuiteError, load_suite, resolve_suite, scenario_texts
from tests.evals.conftest import TINY

GOOD = """
id: good-one
title: A good scenario
journey: onboarding
now: 2026-11-20T10:00:00Z
profile: {customer_id: cus-1}
expect:
  acceptable: [{type: no_action}]
"""


def _suite(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_tiny_suite_loads_a_list_file_and_a_mapping_file() -> None:
    suite = load_suite(TINY)
    assert suite.name == "tiny"
    assert [s.id for s in suite.scenarios] == [
        "tiny-briefing-double-charge",  # billing_briefing.yaml: one mapping
        "tiny-sms-consent-denied",  # trial.yaml: a list of two
        "tiny-sms-cap-reached",
    ]
    assert suite.scenarios[0].customer_id == "c13_amehta"
    assert len(suite.scenarios[2].prior_actions) == 2


def test_the_default_suite_is_found_by_name() -> None:
    assert resolve_suite("default") == SUITES_DIR / "default"
    assert load_suite("default").scenarios


@pytest.mark.parametrize(
    ("text", "where"),
    [
        pytest.param(
            GOOD.replace("type: no_action", "type: teleport"),
            "expect.acceptable.0.type",
            id="unknown-action-type",
        ),
        pytest.param(GOOD.replace("journey: onboarding\n", ""), "journey", id="missing-field"),
        pytest.param(
            GOOD.replace("[{type: no_action}]", "[{type: no_action, args: {x: {gt: 1}}}]"),
            "expect.acceptable.0.args.x.gt",
            id="unknown-constraint",
        ),
        pytest.param(
            GOOD + "customer_id: c01_hweber\n",
            "give exactly one of customer_id",
            id="two-customers",
        ),
        pytest.param(
            yaml.safe_dump([yaml.safe_load(GOOD), {**yaml.safe_load(GOOD), "now": "yesterday"}]),
            "[scenario 1]: now:",
            id="list-item-index-and-field",
        ),
        pytest.param(
            GOOD + "prior_actions:\n  - {ts: 2026-11-21T10:00:00Z, call: {type: no_action, "
            "args: {reason: x}}}\n",
            "prior_actions after now: 0",
            id="prior-action-in-the-future",
        ),
        pytest.param("id: [unclosed", "invalid YAML", id="invalid-yaml"),
        pytest.param("- just a string", "must be a mapping", id="not-a-mapping"),
    ],
)
def test_a_bad_file_names_the_file_and_the_field(tmp_path: Path, text: str, where: str) -> None:
    folder = _suite(tmp_path, **{"bad.yaml": text})
    with pytest.raises(SuiteError) as caught:
        load_suite(folder)
    assert "bad.yaml" in str(caught.value)
    assert where in str(caught.value)


def test_duplicate_ids_across_files_are_refused(tmp_path: Path) -> None:
    folder = _suite(tmp_path, **{"a.yaml": GOOD, "b.yml": GOOD})
    with pytest.raises(SuiteError, match=r"b\.yml: id: 'good-one' is already used in .*a\.yaml"):
        load_suite(folder)


def test_an_unknown_demo_customer_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("profile: {customer_id: cus-1}", "customer_id: c99_nobody")
    with pytest.raises(SuiteError, match=r"customer_id: 'c99_nobody' is not a demo customer"):
        load_suite(_suite(tmp_path, **{"x.yaml": text}))


@pytest.mark.parametrize(
    ("said", "copied"),
    [
        pytest.param(
            "context: {direction: inbound, channel: chat, reason: 'I want to speak to a real "
            "person!'}",
            "speak_to_human example 'I want to speak to a real person'",
            id="a-catalogue-example",
        ),
        pytest.param(
            "events: [{id: e1, ts: 2026-11-20T09:00:00Z, channel: chat, type: chat_message, "
            "text: 'Delay, not the outcome, drives most claim complaints and regulator "
            "escalations'}]",
            "playbook claim-delay-goodwill-callback",
            id="a-playbook-sentence",
        ),
    ],
)
def test_a_scenario_copying_what_the_service_knows_is_refused(
    tmp_path: Path, said: str, copied: str
) -> None:
    folder = _suite(tmp_path, **{"x.yaml": GOOD + said + "\n"})
    with pytest.raises(SuiteError, match="good-one: .* nearly copies the " + copied):
        load_suite(folder)


def test_no_default_scenario_copies_the_catalogue_in_meaning(embedder: Embedder) -> None:
    refs = references(load_catalogue(), load_playbooks(DEMO_DIR / "playbooks"))
    texts = sorted({t for s in load_suite("default").scenarios for t in scenario_texts(s)})

    copies = similar_in_meaning(texts, refs, embedder)

    assert copies == [], f"cosine >= {COSINE_AT}: {copies}"


def test_unknown_and_empty_suites_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"no suite 'nope'.*default"):
        load_suite("nope")
    with pytest.raises(SuiteError, match="no scenarios"):
        load_suite(tmp_path)

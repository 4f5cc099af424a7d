"""The harness itself: its answer sets ask what the template asks, and its bakery reports a refused bake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException

from tests.harness import answers
from tests.harness.template import TEMPLATE_DIR, Bakery

QUESTIONS = {
    name: value
    for name, value in json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text()).items()
    if not name.startswith("_")
}
ANSWER_SETS = {
    f"{group}[{name}]": answer_set
    for group, sets in {
        "PRESETS": answers.PRESETS,
        "BAKES": answers.BAKES,
        "DOMAIN_BAKES": answers.DOMAIN_BAKES,
        "COMPOSE_BAKES": answers.COMPOSE_BAKES,
        "K8S_BAKES": answers.K8S_BAKES,
        "COMBINATIONS": dict(enumerate(answers.COMBINATIONS)),
    }.items()
    for name, answer_set in sets.items()
}


def wrong_answers(answer_set: dict[str, str]) -> list[str]:
    """Answers cookiecutter would ignore (no such question) or the hooks would refuse (no such choice)."""
    wrong = []
    for name, value in answer_set.items():
        question = QUESTIONS.get(name)
        if question is None:
            wrong.append(f"{name}: cookiecutter.json asks no such question")
        elif isinstance(question, bool) and value not in {"yes", "no"}:
            wrong.append(f"{name}={value!r}: a yes/no question")
        elif isinstance(question, list) and value not in question:
            wrong.append(f"{name}={value!r}: not one of {question}")
    return wrong


@pytest.mark.parametrize("answer_set", list(ANSWER_SETS))
def test_every_answer_set_answers_questions_the_template_asks(answer_set: str) -> None:
    # An unknown name is dropped by cookiecutter without a word: the bake would test the defaults.
    assert wrong_answers(ANSWER_SETS[answer_set]) == []


def test_wrong_answers_are_named() -> None:
    assert wrong_answers({"use_dfr": "no", "use_celery": "off", "ci_tool": "jenkins", "timezone": "UTC"}) == [
        "use_dfr: cookiecutter.json asks no such question",
        "use_celery='off': a yes/no question",
        "ci_tool='jenkins': not one of ['github', 'gitlab', 'none']",
    ]


def test_bakery_bakes_into_numbered_folders_and_reports_a_refused_bake(tmp_path: Path) -> None:
    bakery = Bakery(tmp_path)

    refused = bakery.bake(extra_context={"project_slug": "Not A Slug"})
    baked = bakery.bake(extra_context={"project_slug": "harness_check", **answers.PRESETS["minimal"]})

    assert refused.exit_code == -1
    assert refused.project_path is None
    assert isinstance(refused.exception, FailedHookException)
    assert baked.exit_code == 0
    assert baked.exception is None
    assert baked.project_path == tmp_path / "bake01" / "harness_check"
    assert (baked.project_path / "manage.py").is_file()

"""The classifier places Chinese and English reports in the tree; the labelled set measures it against a floor."""

import csv
import json
from pathlib import Path

import pytest

from services.intake.domain.classification import CategoryText, Classifier, words
from shared.demo import demo_data

DATA = Path(__file__).parents[1] / "data"
TARGET = 0.85


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(CategoryText(i["code"], i["keywords"], i.get("examples", []), (i["name_zh"], i["name_en"]))
                      for i in demo_data("categories")["items"])


def test_top1_accuracy_on_the_labelled_reports_meets_the_target_and_the_recorded_figure(classifier):
    rows = list(csv.DictReader((DATA / "labelled_reports.csv").open(encoding="utf-8")))
    assert len(rows) >= 300
    right = sum(classifier.classify(r["text"]).category_code == r["category"] for r in rows)
    accuracy = right / len(rows)
    recorded = json.loads((DATA / "classification_baseline.json").read_text())["top1_accuracy"]
    print(f"\nclassifier top-1 accuracy: {accuracy:.3f} on {len(rows)} labelled reports (recorded {recorded})")
    assert accuracy >= TARGET
    assert accuracy >= recorded - 1e-9, "the classifier regressed below the recorded figure"


def test_keywords_stay_whole_words_and_stop_words_and_punctuation_are_dropped(classifier):
    tokens = words("路灯不亮了，请尽快修理！")
    assert "路灯" in tokens and "的" not in tokens and "，" not in tokens


def test_english_words_are_stemmed_so_inflections_meet(classifier):
    assert classifier.classify("The drains are blocked and flooding").category_code == "drainage"
    assert "fight" in words("fighting")


def test_a_text_with_no_known_word_has_no_category_and_zero_confidence(classifier):
    result = classifier.classify("xyzzy plugh 12345")
    assert result.category_code is None and result.confidence == 0.0


def test_a_clear_report_is_confident_and_its_alternatives_are_ranked_below_it(classifier):
    result = classifier.classify("楼下下水道堵塞，污水冒到路上")
    assert result.category_code == "drainage" and result.confidence > 0.9
    assert all(p <= result.confidence for _, p in result.alternatives)

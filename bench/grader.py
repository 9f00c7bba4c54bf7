"""How well the automatic grader does on reports it has never seen, with and without the trained model.

    .venv/bin/python bench/grader.py [--labelled tests/data/grading_labelled.tsv]

Builds the demo community into a temporary SQLite store, trains the model on its handled cases (as
`data_access.grading` does for intake), and grades the hand-written labelled set (Chinese and English,
written apart from the demo's templates). Prints category and grade accuracy, urgent recall and precision,
per language, for the model and for the rules alone, the training and grading times, and the categories
most often confused. Exits 1 when a target is missed: category accuracy >= 0.90, urgent recall >= 0.98.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.catalog import CATEGORY_BY_CODE, GRADES  # noqa: E402
from domain.grading import Grading, GradingModel, classify, train_model  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "grading_labelled.tsv"
TARGET_CATEGORY_ACCURACY = 0.90
TARGET_URGENT_RECALL = 0.98


@dataclass(frozen=True)
class Row:
    text: str
    category: str
    grade: str
    lang: str


@dataclass
class Scores:
    n: int
    category_accuracy: float
    grade_accuracy: float
    urgent_recall: float
    urgent_precision: float
    urgent: int  # labelled urgent
    flagged: int  # graded urgent


def load_labelled(path: Path = LABELLED) -> list[Row]:
    """Rows of the labelled TSV (header text, category, grade, lang); a bad label stops the run."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if number == 1 and line.startswith("text\t") or not line.strip():
            continue
        text, category, grade, lang = line.split("\t")
        if category not in CATEGORY_BY_CODE or grade not in GRADES or lang not in ("zh", "en"):
            raise ValueError(f"{path.name}:{number}: bad label {category!r} {grade!r} {lang!r}")
        rows.append(Row(text, category, grade, lang))
    return rows


def grade_all(rows: list[Row], model: GradingModel | None) -> list[Grading]:
    return [classify(row.text, model=model) for row in rows]


def score(rows: list[Row], results: list[Grading]) -> Scores:
    n = len(rows)
    urgent = sum(r.grade == "urgent" for r in rows)
    flagged = sum(g.grade == "urgent" for g in results)
    hit = sum(r.grade == "urgent" and g.grade == "urgent" for r, g in zip(rows, results, strict=True))
    return Scores(
        n=n,
        category_accuracy=sum(r.category == g.category for r, g in zip(rows, results, strict=True)) / n if n else 0,
        grade_accuracy=sum(r.grade == g.grade for r, g in zip(rows, results, strict=True)) / n if n else 0,
        urgent_recall=hit / urgent if urgent else 1.0,
        urgent_precision=hit / flagged if flagged else 1.0,
        urgent=urgent,
        flagged=flagged,
    )


def evaluate(rows: list[Row], model: GradingModel | None) -> dict[str, Scores]:
    """Scores over all rows and per language ("all", "zh", "en")."""
    results = grade_all(rows, model)
    out = {"all": score(rows, results)}
    for lang in ("zh", "en"):
        pairs = [(r, g) for r, g in zip(rows, results, strict=True) if r.lang == lang]
        out[lang] = score([r for r, _ in pairs], [g for _, g in pairs])
    return out


def confusion(rows: list[Row], results: list[Grading], worst: int = 6) -> list[str]:
    lines = []
    per = Counter(r.category for r in rows)
    wrong: dict[str, Counter] = {}
    for r, g in zip(rows, results, strict=True):
        if r.category != g.category:
            wrong.setdefault(r.category, Counter())[g.category] += 1
    ranked = sorted(wrong, key=lambda c: (-sum(wrong[c].values()) / per[c], c))[:worst]
    for code in ranked:
        missed = sum(wrong[code].values())
        into = ", ".join(f"{other} {k}" for other, k in wrong[code].most_common(3))
        lines.append(f"  {code:<18} {per[code] - missed:>3}/{per[code]:<3} right; taken for: {into}")
    return lines


def _line(label: str, s: Scores) -> str:
    return (
        f"  {label:<6} n={s.n:<4} category {s.category_accuracy:.3f}  grade {s.grade_accuracy:.3f}  "
        f"urgent recall {s.urgent_recall:.3f}  precision {s.urgent_precision:.3f}  "
        f"({s.urgent} urgent, {s.flagged} graded urgent)"
    )


def train_on_demo() -> tuple[GradingModel | None, int, float, float]:
    """The demo store's model, as intake would train it; returns (model, examples, build s, train s)."""
    from data_access.db import make_engine, reading
    from data_access.demo import build_demo
    from data_access.grading import training_examples
    from data_access.migrate import upgrade_to_head

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        started = time.perf_counter()
        upgrade_to_head(engine)
        build_demo(engine, password="bench")
        built = time.perf_counter() - started
        started = time.perf_counter()
        with reading(engine) as session:
            examples = training_examples(session)
        model = train_model(examples)
        trained = time.perf_counter() - started
        engine.dispose()
    return model, len(examples), built, trained


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--labelled", type=Path, default=LABELLED)
    args = parser.parse_args()
    rows = load_labelled(args.labelled)
    print(f"labelled set: {args.labelled.relative_to(ROOT) if args.labelled.is_relative_to(ROOT) else args.labelled}")
    print(f"  {len(rows)} reports, {sum(r.lang == 'zh' for r in rows)} zh / {sum(r.lang == 'en' for r in rows)} en, "
          f"{len({r.category for r in rows})} categories, {sum(r.grade == 'urgent' for r in rows)} urgent")  # fmt: skip

    model, n_examples, built, trained = train_on_demo()
    print(f"demo store built in {built:.1f} s; model trained on {n_examples} handled cases in {trained:.2f} s "
          f"({'none: too little data' if model is None else f'{len(model.vocab)} features'})")  # fmt: skip

    failed = False
    for label, use in (("model + rules", model), ("rules only", None)):
        started = time.perf_counter()
        results = grade_all(rows, use)
        per_report = (time.perf_counter() - started) / len(rows) * 1000
        scores = evaluate(rows, use)
        print(f"\n{label}: {per_report:.2f} ms per report")
        for lang in ("all", "zh", "en"):
            print(_line(lang, scores[lang]))
        print("  worst categories:")
        print("\n".join(confusion(rows, results) or ["  (none confused)"]))
        if use is model:
            overall = scores["all"]
            ok_cat = overall.category_accuracy >= TARGET_CATEGORY_ACCURACY
            ok_urgent = overall.urgent_recall >= TARGET_URGENT_RECALL
            print(f"  targets: category accuracy >= {TARGET_CATEGORY_ACCURACY} {'met' if ok_cat else 'MISSED'}, "
                  f"urgent recall >= {TARGET_URGENT_RECALL} {'met' if ok_urgent else 'MISSED'}")  # fmt: skip
            failed = not (ok_cat and ok_urgent)

    long_text = "楼下垃圾桶满了没人清运，" * 400 + " the lift is stuck and my mum is inside" * 100
    started = time.perf_counter()
    for _ in range(20):
        classify(long_text, model=model)
    print(f"\na {len(long_text)}-character report: {(time.perf_counter() - started) / 20 * 1000:.1f} ms")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

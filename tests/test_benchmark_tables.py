"""benchmarks/results.py: rerunning some cases of a results table rewrites their rows and keeps the rows
docs/results.md publishes for the others (their runs are not in git), in the cases' order."""

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import results  # noqa: E402

PUBLISHED = """intro
<!-- demo-results:begin -->
| case | fid | samples |
| --- | --- | --- |
| `first` (scored on 2,000) | 12 | ![first](images/first.png) |
| `third` | 30 | |
| *real vs real* | 1 | |
<!-- demo-results:end -->
"""
CASES = [("first", "a.yaml", [], ""), ("second", "b.yaml", [], ""), ("third", "c.yaml", [], "")]


def test_a_rerun_case_gets_a_new_row_the_others_keep_theirs_and_a_case_with_neither_is_named(tmp_path):
    doc = tmp_path / "results.md"
    doc.write_text(PUBLISHED)
    published = results.published_rows(doc, "demo-results")
    assert set(published) == {"first", "third", "*real vs real*"}

    rows, missing = results.case_rows(CASES, [{"recipe": "third", "fid": 7}],
                                      lambda result: f"| `third` | {result['fid']} | |", published)
    assert rows == ["| `first` (scored on 2,000) | 12 | ![first](images/first.png) |", "| `third` | 7 | |"]
    assert missing == ["second"]


def test_a_file_without_the_section_publishes_no_rows(tmp_path):
    assert results.published_rows(tmp_path / "absent.md", "demo-results") == {}
    (tmp_path / "other.md").write_text(PUBLISHED)
    assert results.published_rows(tmp_path / "other.md", "zoo-results") == {}


def test_the_studio_section_keeps_published_rows_of_cases_not_rerun_and_names_the_unmeasured():
    import studio_results

    published = {"sagan": "| `sagan` | kept row |", "sagan-s1": "| `sagan-s1` | 30 | 25 |"}
    runs = [{"recipe": f"da-translation-s{seed}", "wall_s": 80.0 + seed,
             "eval": {"metrics": {c: {"generated": 10.0 + seed} for c in studio_results.SCORES}}} for seed in (0, 1)]
    text = studio_results.section(runs, 1000, published)
    lines = text.splitlines()
    assert "| `sagan` | kept row |" in lines and "| `sagan-s1` | 30 | 25 |" in lines
    translation = next(line for line in lines if line.startswith("| `da-translation` |"))
    assert "| 10.5 |" in translation and "80 s, 81 s" in translation
    assert lines.index("| `sagan` | kept row |") < lines.index(translation)  # the cases' order
    unmeasured = next(line for line in lines if line.startswith("Not yet measured"))
    assert "`sagan-off`" in unmeasured and "`da-translation`" not in unmeasured and "`sagan`," not in unmeasured


def test_stargans_digit_reads_are_split_by_the_inputs_own_domain_and_an_older_result_shows_none():
    import translation_results

    def row(reads):
        return {"model": {"domain_accuracy": 1.0, "digit_accuracy": 0.5, "by_input": reads},
                "truth": {"domain_accuracy": 1.0, "digit_accuracy": 1.0}}

    rows = {"plain": row({"plain": 0.99, "rotated": 0.11}), "rotated": row({"plain": 0.12, "rotated": 0.98})}
    table = translation_results.by_input_table(rows)
    assert table[-4:] == ["| input \\ asked | plain | rotated |", "| --- | --- | --- |",
                          "| plain | 0.99 | 0.12 |", "| rotated | 0.11 | 0.98 |"]  # a copied digit: read only into itself
    for saved in rows.values():
        del saved["model"]["by_input"]
    assert translation_results.by_input_table(rows) == []


def test_a_saved_result_of_another_recipe_is_left_out_and_a_rerun_is_stamped(tmp_path, monkeypatch):
    """A stale local run (the recipe changed since) must not outrank the row docs/results.md publishes."""
    recipes = tmp_path / "recipes"
    recipes.mkdir()
    (recipes / "a.yaml").write_text("# a comment\nseed: 0\ntrain: {epochs: 3}\n")
    monkeypatch.setattr(results, "ROOT", tmp_path)
    runs = tmp_path / "runs"
    cases = [("first", "a.yaml", [], ""), ("second", "a.yaml", ["seed=1"], "")]
    made = results.run_cases(cases, [], runs, "r.json", lambda name, *_: (runs / name).mkdir(parents=True) or
                             {"recipe": name, "wall_s": 1.0})
    assert all(result["recipe_stamp"] for result in made) and made[0]["recipe_stamp"] != made[1]["recipe_stamp"]
    (recipes / "a.yaml").write_text("# another comment\nseed: 0\ntrain: {epochs: 3}\n")  # comments do not count
    assert [r["recipe"] for r in results.run_cases(cases, [], runs, "r.json", None, write_only=True)] == \
        ["first", "second"]
    (recipes / "a.yaml").write_text("seed: 0\ntrain: {epochs: 5}\n")  # the recipe changed: both are stale
    assert results.run_cases(cases, [], runs, "r.json", None, write_only=True) == []

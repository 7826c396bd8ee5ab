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

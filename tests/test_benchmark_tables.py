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



def test_the_studio_sections_stylegan2_row_of_two_seeds_unscored_by_ganzoo_eval_leaves_the_fid_cell_empty():
    import studio_results

    runs = [{"recipe": f"stylegan2-s{seed}", "wall_s": 270.0 + seed, "cropped_fid": 27.0 - seed} for seed in (0, 1)]
    lines = studio_results.section(runs, 1000, {}).splitlines()
    row = next(line for line in lines if line.startswith("| `stylegan2` |"))
    assert "| ;  |" not in row and "270 s, 271 s" in row  # no "; " joining two runs without errors
    assert "| `stylegan2-s1` | 26 | 271 s |" in lines  # their FIDs: the centre-crop table
    failed = [{**runs[0], "error": "training failed: boom"}, runs[1]]
    row = next(line for line in studio_results.section(failed, 1000, {}).splitlines()
               if line.startswith("| `stylegan2` |"))
    assert "| training failed: boom |" in row

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


def translation_result(case, recipe, directions, **extra):
    """A translation case's saved result, its scores made up: psnr 20 (baseline 1) each way."""
    metrics = {f"{direction}_psnr": {"direction": direction, "generated": 20.0, "baseline": 1.0,
                                     "real_vs_real": 100.0} for direction in directions}
    return {"case": case, "recipe": recipe, "what": f"{case} again", "wall_s": 12.0, "steps": 34,
            "images_per_sec": 56.0, "command": f"ganzoo run {recipe} seed=0 train.device=cpu",
            "eval": {"directions": directions, "metrics": metrics}, **extra}


def test_the_translation_section_keeps_the_published_rows_and_blocks_of_the_cases_not_rerun():
    import re

    import translation_results

    doc = ROOT / "docs" / "results.md"
    published = translation_results.published_parts(doc)
    before = re.search(rf"{translation_results.BEGIN}.*?{translation_results.END}\n", doc.read_text(encoding="utf-8"),
                       re.DOTALL).group(0)
    assert translation_results.section([], published) == before  # --write-only without runs: the same bytes

    rerun = [translation_result("unit", "unit_mnist", ["a2b", "b2a"]),  # a two-way case: a row each way
             translation_result("esrgan-x4", "esrgan_mnist", ["a2b"],
                                interpolation={"0.0": {"psnr": 30.0, "ssim": 0.5, "accuracy": 0.25, "fid": 9.0}})]
    after = translation_results.section(rerun, published).splitlines()
    old = before.splitlines()
    for recipe, rows in (("unit_mnist", ["a2b", "b2a"]), ("esrgan_mnist", [""])):
        new = [line for line in after if line.startswith(f"| `{recipe}`") and "again" in line]
        assert [line.split("|")[1].strip() for line in new] == [f"`{recipe}` {row}".strip() for row in rows]
        assert all("| 20 / 1 / 100 |" in line for line in new)
        assert not [line for line in after if line.startswith(f"| `{recipe}`") and "again" not in line]
    kept = [line for line in old if line.startswith("| `") and not line.startswith(("| `unit", "| `esrgan"))]
    assert [line for line in after if line in kept] == kept  # every other row, in the cases' order
    interpolation = after.index("ESRGAN's network interpolation (`esrgan_mnist`): alpha x the PSNR-stage model + "
                                "(1 - alpha) x the GAN model, scored on the held-out pairs.")
    assert after[interpolation + 4:interpolation + 6] == ["| 0.0 | 30 | 0.5 | 0.25 | 9 |", ""]
    start, end = (next(i for i, line in enumerate(old) if line.startswith(text))
                  for text in ("StarGAN's domains", "Each run's last grid"))
    assert "\n".join(old[start:end]) in "\n".join(after)  # StarGAN's, PixelDA's and CC-GAN's blocks as published
    grids = [line for line in after if "](images/translation/" in line]
    assert grids == [line for line in old if "](images/translation/" in line and "`unit`" not in line
                     and "`esrgan-x4`" not in line]  # the rerun cases' grids: their runs' (none here)
    commands = next(line for line in after if line.startswith("Each row trained with"))
    assert "`ganzoo run unit_mnist seed=0 train.device=cpu`, `ganzoo run context_encoder_mnist" in commands
    assert "`ganzoo run stargan_mnist seed=0 train.device=cpu train.threads=1`" in commands

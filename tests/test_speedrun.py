"""benchmarks/speedrun.py: the quality bar is checked on `ganzoo eval`'s report, and its table lands between
the markers of docs/performance.md without touching the rest (the runs themselves belong to a quiet machine)."""

import sys

from conftest import ROOT
from ganzoo.recipe import load_recipe

sys.path.insert(0, str(ROOT / "benchmarks"))
import speedrun  # noqa: E402


def report(**values):
    return {"metrics": {key: {"generated": value} for key, value in values.items()}}


def test_a_run_meets_the_bar_only_when_every_value_does_and_a_missing_value_fails():
    bar = next(track for track in speedrun.TRACKS if track.name == "uncond_mnist").bar
    assert speedrun.check(bar, report(mnist_score=9.1, precision=0.71, modes=10))[0]
    ok, text = speedrun.check(bar, report(mnist_score=9.1, precision=0.69, modes=10))
    assert not ok and "precision 0.69 (fails)" in text
    assert not speedrun.check(bar, report(mnist_score=9.1, modes=10))[0]


def test_a_translation_track_reads_the_outputs_value_of_its_direction():
    """`ganzoo eval` of a translation run reports {a2b_psnr: {value, baseline, real_vs_real}}: the outputs' value
    is checked, not the bicubic baseline's."""
    bar = next(track for track in speedrun.TRACKS if track.name == "sr_mnist").bar
    scored = {"metrics": {"a2b_psnr": {"value": 19.6, "baseline": 14.6}, "a2b_accuracy": {"value": 0.975}}}
    assert speedrun.check(bar, scored)[0]
    scored["metrics"]["a2b_psnr"]["value"] = 19.4
    ok, text = speedrun.check(bar, scored)
    assert not ok and "a2b_psnr 19.4 (fails)" in text


def test_every_track_with_a_recipe_names_one_that_loads(tmp_path):
    for track in speedrun.TRACKS:
        for recipe in filter(None, (track.recipe, track.baseline)):
            assert load_recipe(ROOT / "recipes" / f"{recipe}.yaml").config.dataset.name.startswith("mnist")


def test_the_table_replaces_its_section_only(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nkept\n\n<!-- speedrun-records:begin -->\nOLD TABLE\n"
                   "<!-- speedrun-records:end -->\n\ntail\n")
    row = {"track": "founding_mlp", "seed": 0, "wall_s": 6.5, "load": (0.1, 0.2), "role": "record", "ok": True,
           "scores": "mnist_score 4.1, modes 10", "eval_s": 3.0, "in_time": True,
           "command": "ganzoo run recipes/speedrun_founding_mlp.yaml seed=0"}
    speedrun.replace_section(doc, speedrun.markdown(speedrun.TRACKS, [row], "python benchmarks/speedrun.py"))
    text = doc.read_text()
    assert text.startswith("# Performance\n\nkept\n") and text.rstrip().endswith("tail") and "OLD TABLE" not in text
    assert "| founding_mlp | mnist_score >= 4, modes >= 10 | 7 s |" in text
    assert "`ganzoo run recipes/speedrun_founding_mlp.yaml seed=0`" in text
    assert "| uncond_mnist |" in text and "| not run |" in text  # every track has a recipe now; the others not run


def test_a_run_of_some_tracks_keeps_the_rows_the_others_publish(tmp_path):
    doc = tmp_path / "performance.md"
    kept = ["| uncond_mnist | bar | 60 s | 313.7 s | 0 | 137.0 s | 9.41 s | meets the bar | 0.5 -> 1.7 | `cmd` |",
            "| uncond_mnist | median of 3 seeds | | | | 137.0 s | | every seed meets the bar | | |"]
    doc.write_text("<!-- speedrun-records:begin -->\n| track | quality bar |\n| --- | --- |\n" + "\n".join(kept)
                   + "\n<!-- speedrun-records:end -->\n")
    row = {"track": "founding_mlp", "seed": 0, "wall_s": 6.5, "load": (0.1, 0.2), "role": "record", "ok": True,
           "scores": "mnist_score 4.1, modes 10", "eval_s": 3.0, "in_time": True, "command": "c"}
    section = speedrun.markdown(speedrun.TRACKS, [row], "python benchmarks/speedrun.py --tracks founding_mlp",
                                published=speedrun.published_track_rows(doc))
    assert all(line in section.splitlines() for line in kept)
    assert "| founding_mlp | mnist_score >= 4, modes >= 10 | 7 s |" in section


def test_every_lever_variant_is_a_valid_recipe_and_the_last_is_the_recipe_as_shipped():
    """benchmarks/speedrun_levers.py times each lever by overriding the shipped recipe: an override that no
    longer names a field (a renamed param) would fail the benchmark on a quiet machine, not here."""
    import speedrun_levers
    from ganzoo.pluginhost.registry import load_registry

    registry = load_registry()
    for recipe_name, variants in speedrun_levers.TRACKS.values():
        path = ROOT / "recipes" / f"{recipe_name}.yaml"
        baseline = load_recipe(path, variants[0][1], registry).config
        shipped = load_recipe(path, [], registry).config
        assert variants[-1][1] == [] and baseline != shipped
        for _, overrides in variants[1:-1]:
            assert load_recipe(path, overrides, registry).config not in (shipped, baseline)


def test_a_seed_timed_several_times_records_its_fastest_run_and_shows_every_time(tmp_path):
    """Track.repeats: the record is the fastest repeat (timeit's least), yet it meets the bar only when every
    repeat does, repeats that scored differently are named, and the table shows every time in the order run."""
    def repeat(wall, ok=True, scores="mnist_score 4.27, modes 10"):
        return {"track": "founding_mlp", "seed": 1, "wall_s": wall, "load": (0.5, 0.7), "role": "record", "ok": ok,
                "scores": scores, "eval_s": 3.5, "in_time": wall <= 7, "command": "c"}

    best = speedrun.fastest([repeat(7.1), repeat(5.1), repeat(6.0)])
    assert best["wall_s"] == 5.1 and best["in_time"] and best["ok"] and best["walls"] == [7.1, 5.1, 6.0]
    assert "repeats scored differently" not in best["scores"]
    doc = tmp_path / "performance.md"
    doc.write_text("<!-- speedrun-records:begin -->\n<!-- speedrun-records:end -->\n")
    speedrun.replace_section(doc, speedrun.markdown(speedrun.TRACKS, [best], "python benchmarks/speedrun.py"))
    assert "| 1 | 5.1 s (fastest of 3: 7.1, 5.1, 6.0) | 3.5 s |" in doc.read_text()

    missed = speedrun.fastest([repeat(5.1, ok=False, scores="mnist_score 3.9 (fails), modes 10"), repeat(6.0)])
    assert not missed["ok"] and "the repeats scored differently" in missed["scores"]
    assert not speedrun.fastest([repeat(5.1), repeat(6.0, ok=False)])["ok"]
    crashed = {**repeat(0.9, ok=False, scores="training failed: boom"), "in_time": True}
    del crashed["eval_s"]
    after_crash = speedrun.fastest([crashed, repeat(6.0)])
    assert after_crash["wall_s"] == 6.0 and not after_crash["ok"] and "training failed: boom" in after_crash["scores"]
    single = speedrun.fastest([repeat(7.1)])
    assert "walls" not in single and speedrun.wall_text(single) == "7.1 s"


"""ganzoo from Python: train a recipe, load a trained run, sample from it.

    import ganzoo

    run_dir = ganzoo.train("vanilla_mnist", ["train.epochs=1"], out="runs/first")
    run = ganzoo.load(run_dir)
    images = run.sample(16, seed=3)          # uint8, (16, 1, 28, 28): what `ganzoo sample --seed 3` writes
    G = run.generator                         # the torch.nn.Module, in eval mode

Both are thin: ``train`` is ``ganzoo run`` (``load_recipe``, ``start_run``/``resume_run``, ``fit``),
``load`` is ``ganzoo sample``'s loading (``ganzoo.output.sampling.load_generator``). See docs/api.md.
"""

from __future__ import annotations

import json
import operator
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence, Union

import torch

from ganzoo.training import checkpoint, runlock
from ganzoo.data import DataSpec
from ganzoo.errors import GanzooError
from ganzoo.recipe import MAX_SEED, Recipe, build_recipe, load_recipe
from ganzoo.pluginhost.registry import Registry, load_registry
from ganzoo.training.run_folder import METRICS_FILE
from ganzoo.output.sampling import (check_code, check_label, check_truncation, is_image, load_generator, sample_images,
                                    sample_raw, write_points, write_samples)

RecipeLike = Union[str, Path, Recipe, Mapping[str, Any]]


class TrainedRun:
    """A trained run's generator (its EMA weights when the run kept them), ready to sample."""

    def __init__(self, run_dir: Path, generator: torch.nn.Module, spec: DataSpec, recipe: Recipe,
                 step: int, registry: Registry, sample_role: str = "generator"):
        self.run_dir, self.generator, self.spec, self.recipe, self.step = run_dir, generator, spec, recipe, step
        self.sample_role = sample_role  # the recipe section of the generator
        self._registry = registry

    def __repr__(self) -> str:
        return f"TrainedRun('{self.run_dir}', step={self.step}, {type(self.generator).__name__})"

    @property
    def latent_dim(self) -> int:
        return int(self.generator.latent_dim)

    @property
    def conditional(self) -> bool:
        return bool(getattr(self.generator, "conditional", False))

    def sample(self, n: int = 64, seed: int = 0, label: Optional[int] = None,
               code: Optional[int] = None, truncation: Optional[float] = None) -> torch.Tensor:
        """``n`` samples drawn with ``seed``, exactly those ``ganzoo sample -n N --seed S [--label L]
        [--code K] [--truncation PSI]`` writes: images as uint8 (N, C, H, W); data that are not images
        (2-D points) as floats. ``label`` fixes the class of a conditional generator (else classes are
        drawn at random); ``code`` the categorical latent code of a generator that has one (InfoGAN's);
        ``truncation`` redraws every latent value whose magnitude exceeds it (the truncation trick)."""
        n, seed, label, code = (_whole(name, value) for name, value in
                                (("n", n), ("seed", seed), ("label", label), ("code", code)))
        if n < 1:
            raise GanzooError(f"n must be at least 1, got {n}")
        if not 0 <= seed <= MAX_SEED:
            raise GanzooError(f"seed must be between 0 and {MAX_SEED} (2**62), got {seed}")
        check_label(self.generator, self.spec, label, option="label")
        check_code(self.generator, code, option="code")
        check_truncation(self.generator, truncation, option="truncation")
        chosen = dict(seed=seed, label=label, code=code, truncation=truncation)
        if is_image(self.spec):
            return sample_images(self.generator, self.spec, n, **chosen)
        return sample_raw(self.generator, self.spec, n, **chosen)

    def save_samples(self, out: Union[str, Path], n: int = 64, seed: int = 0, label: Optional[int] = None,
                     code: Optional[int] = None, truncation: Optional[float] = None) -> Path:
        """Write ``sample(n, seed, label, code, truncation)`` to ``out`` (.npz or .png), as ``ganzoo sample`` does."""
        samples = self.sample(n, seed, label, code, truncation)
        if is_image(self.spec):
            write_samples(samples, out)
        else:
            from ganzoo.output.sampling import dataset_plot

            write_points(samples, out, dataset_plot(self.run_dir, self._registry) if str(out).endswith(".png") else None)
        return Path(out)

    def export(self, out: Union[str, Path], format: Optional[str] = None) -> Path:  # noqa: A002
        """Write the generator to ``out`` as ``format`` (torchscript, onnx or safetensors; default:
        the one ``out``'s suffix names), as ``ganzoo export`` does. See ganzoo.output.export."""
        from ganzoo.output import export

        return export.export(self, export.format_of(format, out), out)

    def metrics(self) -> List[dict]:
        """The run's metrics.jsonl records (training logs and evaluations), in order."""
        path = self.run_dir / METRICS_FILE
        if not path.is_file():
            return []
        records = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:  # a line a killed process left half-written
                continue
        return records


def _whole(name: str, value: Any) -> Optional[int]:
    """``value`` as an int (numpy's and torch's integers too), None as None, or a one-line error."""
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        return operator.index(value)
    except TypeError:
        raise GanzooError(f"{name} must be a whole number, got {value!r} ({type(value).__name__})") from None


def load(source: Union[str, Path], device: str = "cpu", ema: bool = True,
         registry: Optional[Registry] = None) -> TrainedRun:
    """The trained generator of a run folder's newest checkpoint (or of a checkpoint file)."""
    from ganzoo.recipe import check_option

    check_option("--device", device)
    return run_from_state(checkpoint.load_checkpoint(source), source, device, ema, registry)


def run_from_state(state: dict, source: Union[str, Path], device: str = "cpu", ema: bool = True,
                   registry: Optional[Registry] = None) -> TrainedRun:
    """``load`` of the checkpoint ``state`` already read from ``source``."""
    registry = registry or load_registry()
    generator, spec = load_generator(source, registry, device, ema=ema, state=state)
    recipe = checkpoint.recipe_of(state, registry)
    run_dir = checkpoint.run_dir_of(state["path"])
    return TrainedRun(run_dir, generator, spec, recipe, int(state.get("step", 0)), registry,
                      state.get("sample_role", "generator"))


def override_list(overrides: Any) -> List[str]:
    """``overrides`` as the list of ``KEY=VALUE`` strings the API takes; one string alone is a mistake
    (it would be read character by character)."""
    if isinstance(overrides, (str, bytes)):
        raise GanzooError(f"overrides is a list of KEY=VALUE strings, not one string: write overrides=[{overrides!r}]")
    overrides = list(overrides or ())
    for item in overrides:
        if not isinstance(item, str):
            raise GanzooError(f"overrides holds {item!r} ({type(item).__name__}); each override is a "
                              "KEY=VALUE string, e.g. 'train.epochs=1'")
    return overrides


def make_recipe(source: RecipeLike, overrides: Sequence[str] = (), registry: Optional[Registry] = None) -> Recipe:
    """A validated recipe from a file, a mapping (as the YAML would read) or another ``Recipe``,
    with ``KEY=VALUE`` overrides: the recipe ``ganzoo run`` would train."""
    from omegaconf import OmegaConf

    registry = registry or load_registry()
    overrides = override_list(overrides)
    if isinstance(source, (str, Path)):
        return load_recipe(source, overrides, registry)
    if isinstance(source, Recipe):
        return build_recipe(OmegaConf.create(source.to_yaml()), overrides, registry, default_name=source.name)
    if isinstance(source, Mapping):
        return build_recipe(OmegaConf.create(dict(source)), overrides, registry)
    raise GanzooError(f"a recipe is a file path, a mapping or a ganzoo Recipe, not {type(source).__name__}")


def train(source: Optional[RecipeLike] = None, overrides: Sequence[str] = (), out: Union[str, Path, None] = None,
          resume: Union[str, Path, None] = None, progress=None, registry: Optional[Registry] = None) -> Path:
    """Train a recipe (or ``resume`` a run folder) in this process, as ``ganzoo run`` does, and
    return the run folder. ``progress``: None prints plain lines to stderr (as ``--quiet``);
    data-parallel training (``--nproc``) is the CLI's."""
    from ganzoo.training.progress import PlainProgress
    from ganzoo.training.trainer import resume_run, start_run

    registry = registry or load_registry()
    progress = progress or PlainProgress()
    overrides = override_list(overrides)
    if resume is not None:
        if source is not None or out is not None:
            raise GanzooError("resume takes the run folder alone (plus overrides), not a recipe or out")
        trainer = resume_run(resume, registry, progress, list(overrides))
    elif source is None:
        raise GanzooError("give a recipe (a file, a mapping or a Recipe) or resume=RUN_DIR")
    else:
        trainer = start_run(make_recipe(source, overrides, registry), registry, out, progress)
    try:
        return trainer.fit()
    finally:
        runlock.release(trainer.run_dir)

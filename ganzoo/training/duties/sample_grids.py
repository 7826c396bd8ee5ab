"""The sample-grids duty: after each epoch, the fixed-noise samples as RUN_DIR/samples/epoch-NNN.png.

From the EMA generator when it is kept (``run.sampler()``). Data that are not images bring their own
plot (and figures, shown as a message); translation runs show held-out inputs beside their outputs
(and targets). The picture goes to every callback's ``on_grid`` (loggers) as a tensor.
"""

from __future__ import annotations

import torch

from ganzoo import translation
from ganzoo.algorithm import PRIORITIES, Callback
from ganzoo.models import draw_latent, eval_mode, generate
from ganzoo.output.files import write_atomic
from ganzoo.output.images import read_picture, save_grid, save_translation_grid
from ganzoo.training.run_folder import grid_path


class SampleGrids(Callback):
    priority = PRIORITIES["above_normal"]  # after the epoch's evaluation, before other callbacks

    def __init__(self, params=None):
        self.noise = self.labels = self.examples = None

    def before_run(self, run) -> None:
        size = run.recipe.config.output.grid_size
        data = run.dataset
        if run.directions:  # translation: the grids show held-out inputs, outputs and targets
            self.examples = translation.first(data.held_out or data, size)
        else:  # the same noise (and labels) every epoch
            grid_rng = torch.Generator().manual_seed(run.derived_seed("grids"))
            self.noise = draw_latent(run.models[run.sample_role], size, grid_rng).to(run.device)
            self.labels = (torch.arange(size, device=run.device) % run.data.num_classes
                           if run.data.num_classes else None)

    def end_epoch(self, run, epoch: int) -> None:
        if not run.is_main:
            return
        path = grid_path(run.run_dir, epoch)
        picture = self.translation_grid(run, path) if run.directions else self.sample_grid(run, path)
        run.show_grid(epoch, picture)

    def sample_grid(self, run, path) -> torch.Tensor:
        G = run.sampler()
        with eval_mode(G), torch.no_grad():
            images = generate(G, self.noise, self.labels)
        shown = run.dataset.presentation
        if shown is not None and shown.plot is not None:
            png = shown.plot(images.cpu())
            write_atomic(path, lambda handle: handle.write(png))
            picture = read_picture(png)
        else:
            picture = save_grid(images, path)
        if shown is not None and shown.figures is not None:
            figures = shown.figures(images.cpu())
            run.message(f"{path.stem} samples: " + "  ".join(f"{k} {v:.4g}" for k, v in figures.items()))
        return picture

    def translation_grid(self, run, path) -> torch.Tensor:
        """input | output | target columns for each direction the algorithm translates, one picture."""
        columns = []
        for direction, role in run.directions.items():
            side = translation.side(self.examples, direction)
            inputs = side.inputs.to(run.device)
            columns += [inputs, translation.translate(run.sampler(role), inputs)]
            if side.targets is not None:
                columns.append(side.targets)
            elif run.dataset.two_sided.known_transform is not None:  # unpaired data's right answer, as the target
                columns.append(run.dataset.two_sided.known_transform(side.inputs, direction))
        n = min(column.shape[0] for column in columns)
        return save_translation_grid([column[:n] for column in columns], path)

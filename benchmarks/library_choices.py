"""Where ganzoo keeps its own code beside a well-kept library, measured (issue 18).

    python benchmarks/library_choices.py           # EMA update, image-folder reading, loss plot

1. EMA: ganzoo.training.ema.GeneratorEMA.update against torch.optim.swa_utils.AveragedModel with
   get_ema_multi_avg_fn, on the dcgan_mnist generator: time per update, and what each computes.
2. Image folder: reading N PNGs into a uint8 batch with PIL (ganzoo's loader) against
   torchvision.io.decode_image (+ torchvision.transforms.v2 resize and centre crop).
3. Loss plot: losses.png drawn with PIL (ganzoo.output.plots) against matplotlib (when installed):
   time per drawing and the import cost, each in a fresh process.
Single-threaded; on a shared machine the ratios are what to read, not the absolute times.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def best_of(function, repeats: int = 5, number: int = 1) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            function()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def ema() -> None:
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    from ganzoo.data import DataSpec
    from ganzoo.pluginhost.registry import load_registry
    from ganzoo.recipe import load_recipe
    from ganzoo.training.ema import GeneratorEMA

    registry = load_registry()
    recipe = load_recipe("dcgan_mnist", [], registry)
    component = registry.get("generator", recipe.config.generator.name)
    generator = component.factory(recipe.params["generator"], DataSpec((1, 28, 28), 10))
    decay = recipe.config.train.ema_decay
    ours = GeneratorEMA(generator, decay)
    library = AveragedModel(generator, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
    params = sum(p.numel() for p in generator.parameters())
    t_ours = best_of(lambda: ours.update(generator), number=200)
    t_lib = best_of(lambda: library.update_parameters(generator), number=200)
    print(f"EMA update, dcgan_mnist generator ({params:,} parameters, decay {decay}): "
          f"GeneratorEMA {t_ours * 1e6:.0f} us, AveragedModel {t_lib * 1e6:.0f} us ({t_lib / t_ours:.2f}x)")
    # What they compute differs after few updates: ours warms the decay up, AveragedModel does not.
    fresh_ours, fresh_lib = GeneratorEMA(generator, decay), AveragedModel(
        generator, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
    with torch.no_grad():
        start = [p.clone() for p in generator.parameters()]
        for step in range(100):
            for p in generator.parameters():
                p.add_(0.01)
            fresh_ours.update(generator)
            fresh_lib.update_parameters(generator)
    moved_ours = float(next(fresh_ours.model.parameters()).detach().sub(start[0]).mean())
    moved_lib = float(next(fresh_lib.module.parameters()).detach().sub(start[0]).mean())
    print(f"  after 100 updates of +0.01 each (trained weights moved 1.0): the warmed-up EMA moved "
          f"{moved_ours:.3f}, AveragedModel's {moved_lib:.3f} (it starts from a copy at its first update, "
          f"then decays at {decay} from the start)")


def image_folder(count: int = 500, side: int = 96, size: int = 32) -> None:
    import numpy as np
    from PIL import Image
    from torchvision.io import ImageReadMode, decode_image
    from torchvision.transforms.v2 import functional as F

    from ganzoo_zoo.image_folder import ImageFolderParams, load_image_folder

    with tempfile.TemporaryDirectory() as folder:
        rng = np.random.default_rng(0)
        for index in range(count):
            pixels = rng.integers(0, 256, (side, side + 32, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(Path(folder) / f"{index:04d}.png")
        files = sorted(Path(folder).glob("*.png"))
        params = ImageFolderParams(path=folder, size=size, channels=3)

        def torchvision_reader():
            batch = []
            for path in files:
                image = decode_image(str(path), mode=ImageReadMode.RGB)
                image = F.resize(image, size, interpolation=F.InterpolationMode.BICUBIC, antialias=True)
                batch.append(F.center_crop(image, size))
            return torch.stack(batch)

        t_ours = best_of(lambda: load_image_folder(params), repeats=3)
        t_lib = best_of(torchvision_reader, repeats=3)
        ours = load_image_folder(params).images.add(1).mul(127.5).round()
        theirs = torchvision_reader().float()
        print(f"image folder, {count} PNGs of {side + 32}x{side} to {size}x{size}: PIL (ganzoo) {t_ours:.2f} s, "
              f"torchvision.io.decode_image + v2 resize/crop {t_lib:.2f} s ({t_lib / t_ours:.2f}x); "
              f"mean |difference| {float((ours - theirs).abs().mean()):.2f} of 255")


def loss_plot() -> None:
    script_ours = ("import time; t=time.perf_counter(); from ganzoo.output.plots import write_loss_plot; "
                   "i=time.perf_counter(); write_loss_plot(M, O); e=time.perf_counter(); "
                   "print(f'{i-t:.3f} {e-i:.3f}')")
    script_mpl = ("import time; t=time.perf_counter(); import matplotlib; matplotlib.use('Agg'); "
                  "import matplotlib.pyplot as plt; import json; i=time.perf_counter(); "
                  "rs=[json.loads(l) for l in open(M)]; fig,(a,b)=plt.subplots(2,1,figsize=(9,6)); "
                  "s=[r['step'] for r in rs]; a.plot(s,[r['d_loss'] for r in rs]); a.plot(s,[r['g_loss'] for r in rs]); "
                  "b.plot(s,[r['d_real'] for r in rs]); b.plot(s,[r['d_fake'] for r in rs]); fig.savefig(O); "
                  "e=time.perf_counter(); print(f'{i-t:.3f} {e-i:.3f}')")
    import json
    import random

    with tempfile.TemporaryDirectory() as folder:
        metrics = Path(folder) / "metrics.jsonl"
        random.seed(0)
        metrics.write_text("".join(json.dumps({"step": 10 * i, "d_loss": random.random(), "g_loss": random.random(),
                                               "d_real": random.random(), "d_fake": random.random()}) + "\n"
                                   for i in range(2000)))
        for name, script in (("PIL (ganzoo)", script_ours), ("matplotlib", script_mpl)):
            code = f"M={str(metrics)!r}; O={str(Path(folder) / 'out.png')!r}; " + script
            runs = []
            for _ in range(3):
                result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
                if result.returncode:
                    print(f"loss plot, {name}: not measured ({result.stderr.strip().splitlines()[-1]})")
                    break
                runs.append([float(v) for v in result.stdout.split()])
            else:
                print(f"loss plot of 2,000 records, {name}: import {statistics.median(r[0] for r in runs):.3f} s, "
                      f"drawing {statistics.median(r[1] for r in runs) * 1000:.0f} ms")


if __name__ == "__main__":
    torch.set_num_threads(1)
    ema()
    image_folder()
    loss_plot()

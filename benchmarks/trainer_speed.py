"""How fast ganzoo's trainer is against the loops users write by hand.

Times, in one command, interleaved over repeats, each variant in its own fresh
process (so peak memory is per variant):

  ganzoo      ganzoo's Trainer on the vanilla_mnist recipe (in-memory data on the device),
              fused steps where the models allow (train.step: auto), its whole fit(): steps,
              logging, and the checkpoint, sample grid and loss plot it writes each epoch
  ganzoo-autograd   the same with train.step=autograd
  plain       a plain PyTorch loop of the same models, loss, optimiser and batch size,
              written here, on the same in-memory tensor, shuffled by index
  dataloader  the usual pattern: DataLoader over torchvision's MNIST with ToTensor/Normalize
  floor       the vanilla step written out by hand in this file, no framework: a reference

and the same comparison at PyTorch-GAN's MLP sizes (through recipe overrides), and for the
convolutional GANs (dcgan_mnist.yaml and cgan_mnist.yaml at the issue's sizes, batch 64) against
the hand-written loops of benchmarks/conv_loops.py, with each speed lever switched on alone in
the plain loop (``plain+LEVER`` rows) so its effect is measured by itself.
Reports median epoch times, ratios, images/s and peak RSS, and writes docs/performance.md.

    python benchmarks/trainer_speed.py                      # full: 5 repeats of 1 epoch each
    python benchmarks/trainer_speed.py --repeats 1 --limit 6400   # a quick look
    python benchmarks/trainer_speed.py --sizes dcgan,cgan --repeats 3   # the convolutional GANs alone
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "vanilla_mnist.yaml"
sys.path.insert(0, str(Path(__file__).resolve().parent))
import conv_loops  # noqa: E402

SIZES = {
    # name: (recipe overrides, plain-loop widths)
    # the vanilla recipe as shipped: LeakyReLU in both, dropout 0.8 in D (fused steps)
    "vanilla": ([], dict(latent=100, g=[128, 64], d=[64, 128], g_act="leaky", d_act="leaky", bn=False, d_dropout=0.8)),
    # the founding document's models without the recipe's choices of what it leaves open:
    # plain MLPs, where the fused CPU steps apply
    "vanilla-mlp": (["generator.params.activation=relu", "discriminator.params.dropout=0.0"],
                    dict(latent=100, g=[128, 64], d=[64, 128], g_act="relu", d_act="leaky", bn=False)),
    "pytorch-gan-mlp": (
        ["generator.params.hidden=[128,256,512,1024]", "generator.params.activation=leaky_relu",
         "generator.params.batch_norm=true", "generator.params.batch_norm_eps=0.8",
         "discriminator.params.hidden=[512,256]"],
        dict(latent=100, g=[128, 256, 512, 1024], d=[512, 256], g_act="leaky", d_act="leaky", bn=True)),
}


# The convolutional GANs: name -> (recipe, overrides to the sizes of conv_loops' models, conditional).
# Batch 64 as the recipes; no EMA (the plain loops keep none); train.precision=auto is the one
# recipe line the speed levers take (bf16 where the CPU has it natively; docs/performance.md).
CONV_SIZE = ["generator.params.latent_dim=100", "generator.params.base_channels=64",
             "discriminator.params.base_channels=64", "train.ema_decay=0.0", "train.batch_size=64"]
CONV_SIZES = {
    "dcgan": (ROOT / "recipes" / "dcgan_mnist.yaml", CONV_SIZE, False),
    "cgan": (ROOT / "recipes" / "cgan_mnist.yaml", CONV_SIZE + ["generator.params.embed_dim=16"], True),
}
CONV_VARIANTS = ["plain", "ganzoo", "ganzoo-fp32", "plain+channels_last", "plain+fused_adam", "plain+bf16",
                 "plain+bf16+channels_last+fused_adam", "plain+compile"]


# ---------------------------------------------------------------------------- workers
def _common(args):
    import torch

    return torch, ["train.epochs=1", "train.device=cpu", "dataset.params.download=false",
                   f"dataset.params.root={args.data}"] + (
        [f"dataset.params.limit={args.limit}"] if args.limit else []) + ["train.log_every=1000000"]


def worker_ganzoo(args, extra=()) -> dict:
    from ganzoo.training import trainer as trainer_module
    from ganzoo.training.progress import PlainProgress
    from ganzoo.recipe import load_recipe
    from ganzoo.pluginhost.registry import load_registry

    torch, overrides = _common(args)
    registry = load_registry()
    if args.size in CONV_SIZES:
        path, sizes, _ = CONV_SIZES[args.size]
        recipe = load_recipe(path, overrides + sizes + ["train.precision=auto"] + args.override + list(extra), registry)
    else:
        recipe = load_recipe(RECIPE, overrides + SIZES[args.size][0] + args.override + list(extra), registry)
    outputs = []  # seconds spent writing the epoch's checkpoint, samples and loss plot

    def timed(function):
        def wrapper(*a, **k):
            start = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                outputs.append(time.perf_counter() - start)
        return wrapper

    from ganzoo.training.duties import loss_plot  # the loss-plot duty draws the last one after fit's epochs

    loss_plot.write_loss_plot = timed(loss_plot.write_loss_plot)
    with tempfile.TemporaryDirectory() as out:
        trainer = trainer_module.start_run(recipe, registry, Path(out) / "run", PlainProgress(open(os.devnull, "w")))
        trainer.end_epoch = timed(trainer.end_epoch)
        start, cpu = time.perf_counter(), time.process_time()
        trainer.fit()
        whole, cpu = time.perf_counter() - start, time.process_time() - cpu
        # the training itself, the plain loop's equal: fit() less the files it writes
        step = "fused" if trainer.fused_step is not None else "autograd"
        return {"seconds": whole - sum(outputs), "fit_s": whole, "outputs_s": sum(outputs), "cpu_s": cpu,
                "step": step if trainer.precision.name == "fp32" else f"{step}, {trainer.precision.name}"}


def _plain_models(torch, widths):
    from torch import nn

    def act(kind):
        return nn.ReLU() if kind == "relu" else nn.LeakyReLU(0.2)

    g_layers, width = [], widths["latent"]
    for i, w in enumerate(widths["g"]):
        g_layers += [nn.Linear(width, w)] + ([nn.BatchNorm1d(w, eps=0.8)] if widths["bn"] and i > 0 else []) + [act(widths["g_act"])]
        width = w
    G = nn.Sequential(*g_layers, nn.Linear(width, 784), nn.Tanh())
    d_layers, width = [nn.Flatten()], 784
    for w in widths["d"]:
        d_layers += [nn.Linear(width, w), act(widths["d_act"])]
        d_layers += [nn.Dropout(widths["d_dropout"])] if widths.get("d_dropout") else []
        width = w
    D = nn.Sequential(*d_layers, nn.Linear(width, 1))
    return G, D


def _plain_epoch(torch, G, D, batches, latent):
    """The loop a user writes: D on real vs detached fake, then G with fresh noise; BCE; Adam."""
    import torch.nn.functional as F

    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    for real in batches:
        real = real.view(real.shape[0], 1, 28, 28)
        n = real.shape[0]
        ones, zeros = torch.ones(n, 1), torch.zeros(n, 1)
        fake = G(torch.randn(n, latent)).view(n, 1, 28, 28).detach()
        d_loss = F.binary_cross_entropy_with_logits(D(real), ones) + F.binary_cross_entropy_with_logits(D(fake), zeros)
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        fake = G(torch.randn(n, latent)).view(n, 1, 28, 28)
        g_loss = F.binary_cross_entropy_with_logits(D(fake), ones)
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()


def worker_conv_plain(args, levers=()) -> dict:
    torch, _ = _common(args)
    from torchvision.datasets import MNIST

    conditional = CONV_SIZES[args.size][2]
    torch.manual_seed(0)
    mnist = MNIST(args.data, train=True, download=False)
    images = mnist.data[: args.limit or None].unsqueeze(1).float().div(127.5).sub(1)
    labels = mnist.targets[: args.limit or None]
    G, D = conv_loops.conv_models(torch, conditional)
    start, cpu = time.perf_counter(), time.process_time()  # compile time, where compiled, counts against the run
    order = torch.randperm(len(images))
    batches = ((images[order[i:i + 64]], labels[order[i:i + 64]]) for i in range(0, len(images) - 63, 64))
    conv_loops.conv_epoch(torch, G, D, batches, conditional, levers)
    return {"seconds": time.perf_counter() - start, "cpu_s": time.process_time() - cpu}


def worker_plain(args) -> float:
    if args.size in CONV_SIZES:
        return worker_conv_plain(args)
    torch, _ = _common(args)
    from torchvision.datasets import MNIST

    torch.manual_seed(0)
    mnist = MNIST(args.data, train=True, download=False)
    images = mnist.data[: args.limit or None].unsqueeze(1).float().div(127.5).sub(1)
    G, D = _plain_models(torch, SIZES[args.size][1])
    start = time.perf_counter()
    order = torch.randperm(len(images))
    batches = (images[order[i:i + 128]] for i in range(0, len(images) - 127, 128))
    _plain_epoch(torch, G, D, batches, SIZES[args.size][1]["latent"])
    return time.perf_counter() - start


def worker_dataloader(args) -> float:
    torch, _ = _common(args)
    from torch.utils.data import DataLoader, Subset
    from torchvision import transforms
    from torchvision.datasets import MNIST

    torch.manual_seed(0)
    dataset = MNIST(args.data, train=True, download=False,
                    transform=transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5], [0.5])]))
    if args.limit:
        dataset = Subset(dataset, range(args.limit))
    G, D = _plain_models(torch, SIZES[args.size][1])
    start = time.perf_counter()
    loader = DataLoader(dataset, batch_size=128, shuffle=True, drop_last=True)
    _plain_epoch(torch, G, D, (x for x, _ in loader), SIZES[args.size][1]["latent"])
    return time.perf_counter() - start


# ---------------------------------------------------------------------------- the floor
class HandDerivedStep:
    """The vanilla step with no autograd, no optimiser objects and no framework around it.

    Forward passes keep their activations; the backward passes are written out as matrix
    products (the gradients autograd would compute, in the same order); Adam is torch's fused
    kernel called directly. Written for these two networks and BCE alone, it is the reference
    that ganzoo's general fused steps (ganzoo.fast.fused_gan) are measured against.
    """

    def __init__(self, torch, G, D, latent, slopes):
        self.torch, self.latent, (self.g_slope, self.d_slope) = torch, latent, slopes
        self.g = [m for m in G if isinstance(m, torch.nn.Linear)]
        self.d = [m for m in D if isinstance(m, torch.nn.Linear)]
        self.adam = {id(layers): self._adam_state(layers) for layers in (self.g, self.d)}

    def _adam_state(self, layers):
        params = [p.data for layer in layers for p in (layer.weight, layer.bias)]
        zeros = lambda: [self.torch.zeros_like(p) for p in params]  # noqa: E731
        return params, zeros(), zeros(), [self.torch.tensor(0.0) for _ in params]

    def _adam(self, layers, grads):
        params, exp_avg, exp_avg_sq, steps = self.adam[id(layers)]
        self.torch._foreach_add_(steps, 1)
        self.torch._fused_adam_(params, grads, exp_avg, exp_avg_sq, [], steps, lr=2e-4, beta1=0.5, beta2=0.999,
                                weight_decay=0.0, eps=1e-8, amsgrad=False, maximize=False)

    def _forward(self, layers, x, slope, tanh):
        F = self.torch.nn.functional
        acts = [x]
        for i, layer in enumerate(layers):
            h = self.torch.addmm(layer.bias, acts[-1], layer.weight.t())
            if i + 1 < len(layers):
                h = F.leaky_relu_(h, slope) if slope else h.relu_()
            elif tanh:
                h = h.mul_(2).sigmoid_().mul_(2).sub_(1)
            acts.append(h)
        return acts

    def _backward(self, layers, acts, grad, slope, weights=True, input_grad=False):
        """Gradients of the weights (or None) and of the input (or None), given d loss / d output."""
        aten = self.torch.ops.aten
        grads = []
        for i in reversed(range(len(layers))):
            if weights:
                grads[:0] = [grad.t().mm(acts[i]), grad.sum(0)]
            if i == 0 and not input_grad:
                break
            grad = grad.mm(layers[i].weight)
            if i > 0:
                grad = (aten.leaky_relu_backward(grad, acts[i], slope, True) if slope
                        else aten.threshold_backward(grad, acts[i], 0))
        return (grads or None), (grad if input_grad else None)

    def __call__(self, real):
        torch, n = self.torch, real.shape[0]
        real = real.reshape(n, -1)
        fake = self._forward(self.g, torch.randn(n, self.latent), self.g_slope, True)[-1]
        real_acts, fake_acts = self._forward(self.d, real, self.d_slope, False), self._forward(self.d, fake, self.d_slope, False)
        # d/dlogit of BCE(logit, 1) is sigmoid - 1, of BCE(logit, 0) sigmoid; each loss a mean over n
        grads, _ = self._backward(self.d, real_acts, (torch.sigmoid(real_acts[-1]) - 1) / n, self.d_slope)
        fake_grads, _ = self._backward(self.d, fake_acts, torch.sigmoid(fake_acts[-1]) / n, self.d_slope)
        torch._foreach_add_(grads, fake_grads)
        self._adam(self.d, grads)

        g_acts = self._forward(self.g, torch.randn(n, self.latent), self.g_slope, True)
        d_acts = self._forward(self.d, g_acts[-1], self.d_slope, False)
        _, grad = self._backward(self.d, d_acts, (torch.sigmoid(d_acts[-1]) - 1) / n, self.d_slope,
                                 weights=False, input_grad=True)
        grad = torch.ops.aten.tanh_backward(grad, g_acts[-1])
        grads, _ = self._backward(self.g, g_acts, grad, self.g_slope)
        self._adam(self.g, grads)


def _check_floor(torch, widths):
    """The hand-derived step must train exactly as the plain loop does (up to float rounding)."""
    import copy

    torch.manual_seed(1)
    G, D = _plain_models(torch, widths)
    G2, D2 = copy.deepcopy(G), copy.deepcopy(D)
    batches = [torch.rand(128, 1, 28, 28) * 2 - 1 for _ in range(3)]
    torch.manual_seed(2)
    _plain_epoch(torch, G, D, iter(batches), widths["latent"])
    torch.manual_seed(2)
    step = HandDerivedStep(torch, G2, D2, widths["latent"], _slopes(widths))
    with torch.no_grad():
        for real in batches:
            step(real)
    for a, b in zip([*G.parameters(), *D.parameters()], [*G2.parameters(), *D2.parameters()]):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def _slopes(widths):
    return tuple(0.2 if widths[f"{net}_act"] == "leaky" else 0.0 for net in ("g", "d"))


def worker_floor(args) -> float:
    torch, _ = _common(args)
    from torchvision.datasets import MNIST

    widths = SIZES[args.size][1]
    _check_floor(torch, widths)
    torch.manual_seed(0)
    mnist = MNIST(args.data, train=True, download=False)
    images = mnist.data[: args.limit or None].unsqueeze(1).float().div(127.5).sub(1)
    G, D = _plain_models(torch, widths)
    step = HandDerivedStep(torch, G, D, widths["latent"], _slopes(widths))
    start = time.perf_counter()
    order = torch.randperm(len(images))
    with torch.no_grad():
        for i in range(0, len(images) - 127, 128):
            step(images.index_select(0, order[i:i + 128]))
    return time.perf_counter() - start


WORKERS = {"ganzoo": worker_ganzoo, "plain": worker_plain, "dataloader": worker_dataloader, "floor": worker_floor,
           "ganzoo-autograd": lambda args: worker_ganzoo(args, ["train.step=autograd"]),
           # the one lever that changes numerics, so behind a recipe switch: bfloat16 autocast
           "ganzoo-bf16": lambda args: worker_ganzoo(args, ["train.precision=bf16"]),
           "ganzoo-fp32": lambda args: worker_ganzoo(args, ["train.precision=fp32"]),
           **{variant: (lambda args, levers=variant.split("+")[1:]: worker_conv_plain(args, levers))
              for variant in CONV_VARIANTS if variant.startswith("plain+")}}


LEVERS = """## What the trainer does to be fast

Always on, because they leave the maths unchanged (up to float rounding; `tests/test_fused_step.py`
and `tests/test_fast_paths.py` hold each to autograd's gradients and `torch.optim`'s updates):

- fused steps (`ganzoo.fast.fused_gan`, `train.step: auto`). When the algorithm is `gan`
  itself (`ganzoo.GAN`, not a subclass), G and D are MLPs (chains of `nn.Linear` and
  element-wise activations, read with `torch.fx` and checked on a probe batch against their own
  `forward`) and the run is on the CPU, the trainer runs this implementation of the gan step in
  place of `GAN.train_step`, chosen once (`ganzoo.fast.choose_step`): forward passes keep their
  activations, backward passes are matrix products, and autograd differentiates the loss by its
  logits only (a few element-wise ops on 128 numbers), penalties included: any loss plugin works
  and a loss author writes nothing for it. (Losses used to be able to give those gradients in
  closed form, which saved that small autograd pass; the option was dropped from the loss
  contract. Measured on an Intel Xeon, 2 threads: autograd's pass over BCE's logits takes
  141 us a step, D's and G's losses together, against 37 us for the closed forms: about
  105 us of a 2.7 ms fused step, some 3% of an epoch. The fused steps measured 0.78x the
  plain loop on that machine, the hand-derived floor 0.52x; the run before, on an AMD EPYC
  with the closed forms, measured 0.59x and 0.60x. The rest of that gap is not yet found:
  see the issue on performance.) D runs once on real and fake images stacked
  in one buffer: the real batch is gathered into its top half, G writes its images below. G's
  weights do not change between a D step and the G step after it, so G runs once on both steps'
  noise batches (256 rows) and the G step reuses the second half. The linear layer before
  `ganzoo.Tanh` computes 2x itself (`addmm` with alpha = beta = 2, exact), so tanh =
  2 sigmoid(2x) - 1 takes two passes over the batch instead of four. `nn.Dropout` layers are run
  too, their masks drawn from torch's generator in the order autograd's path draws them (D on the
  real batch, then on the fake one; a G with dropout then runs its G-step pass in the G step), so
  both paths train alike to float rounding, dropout included (tests). Models the fused steps cannot
  read (batch norm, other dropouts, convolutions, labels...) train through autograd, as the
  `pytorch-gan-mlp` rows do (its generator has batch norm); `train.step: fused` makes such a run
  fail and say why;
- the optimiser's update calls torch's fused Adam/AdamW kernel directly on the optimiser's own state
  (`ganzoo.fast.optimizer_update`): `Adam(fused=True).step()` spends about 115 us of Python around a
  40 us kernel. Checkpoints and learning-rate changes are untouched; anything it does not cover
  goes to `optimizer.step()`;
- the whole dataset is one tensor on the training device, shuffled by index each epoch and
  gathered with `index_select` (8 us a batch against 56 us for `images[index]`): no `DataLoader`,
  no per-sample PIL transform (the `dataloader` row shows what that costs);
- the generators end in `ganzoo.Tanh`, which computes tanh as 2 sigmoid(2x) - 1 on CPU float32
  (within 2e-7 of `torch.tanh`, gradients from torch's own `tanh_backward`): torch's CPU tanh
  kernel takes 234 us for a 128 x 784 batch, the sigmoid form 73 us;
- on the autograd path, the fake batch of the D step is generated under `no_grad`, and D's
  weights get no gradients during the G step;
- the optimisers take torch's fused update (`optimizers.*.implementation: auto`): one kernel per
  model instead of a handful per tensor;
- no host sync but at logging steps (`train.log_every`);
- the files of an epoch (checkpoint, sample grid) take about 15 ms: the checkpoint reuses the
  recipe resolved once at the start (resolving it through OmegaConf took 20 ms), and the PNGs are
  compressed at zlib level 1 (2 ms instead of 11 for a grid, files 14% larger).

Recipe switches, because they change numerics or depend on the machine:

- `train.precision: bf16` runs the forward passes under bfloat16 autocast (losses in float32),
  through autograd. It pays where matrix products dominate (the PyTorch-GAN sizes above) and
  costs more than it saves on the tiny vanilla networks;
- `train.precision: auto` takes bf16 where it pays and the machine does it natively: models
  with convolutions on a CPU whose flags (read from /proc/cpuinfo at run time) include
  `amx_bf16` or `avx512_bf16`; fp32 otherwise, and on CUDA until `benchmarks/gpu_check.py`
  has measured there. On the Xeon with AMX-BF16 here, oneDNN runs the DCGAN's convolutions in
  bf16 and a step of the issue's DCGAN (batch 64) takes 0.60x the CPU time of float32 (table
  below). Samples stay as good: dcgan_mnist.yaml trained in bf16 scored, after its 4 epochs,
  MNIST score 5.92, precision 0.54, FID 16.7 (2,000 images) against 6.02, 0.52 and 16.5 in
  float32 (10,000 images, docs/results.md);
- `train.precision: fp16` is float16 autocast with torch's gradient scaler inside
  `step.update` (scaled loss, unscaled gradients before every check and optimiser step,
  overflowing updates skipped, the scale checkpointed). It is for GPUs: CPUs have no fast
  float16 convolutions (on this one it is several times slower than fp32);
- `train.threads: N` sets torch's CPU threads. On a machine shared with other jobs one thread is
  often faster than two for these small models.

Tried and left out (each measured in one process, interleaved with the plain loop):

- On the convolutional GANs, one at a time on the plain loop of the issue's DCGAN (batch 64,
  one thread, CPU time per step, median of 3 interleaved rounds of 40 steps, machine shared):
  float32 141 ms; channels-last memory format 143 ms (nothing, within the
  noise); fused Adam 142 ms (nothing: 8 parameter tensors a model, the update is
  small beside the convolutions; ganzoo's trainer takes it anyway); bf16 autocast 86 ms (0.61x); bf16 and channels-last 82 ms (0.58x); all
  three 75 ms (0.53x). Only bf16 pays, so only it is a trainer lever (`train.precision: auto`);
  channels-last buys ~5% on top of it, within this machine's noise, and is left for a quiet
  rerun (`plain+...` rows of the `dcgan` table);
- `torch.compile` (inductor) of G and D in the same plain loop, one thread: 150 steps took
  29.5 s of CPU time against 22.6 s uncompiled, 50 steps 15.1 s against 7.4 s: about 8 s to
  compile (the inductor cache already warm) for steps about 5% faster, paid back after some
  1,000 steps, an epoch. Not worth it on the CPU; `benchmarks/gpu_check.py` measures it on a GPU;
- `torch.compile` (inductor, CPU): of G and D, 22 s to compile for steps about 18% faster (about 2 s
  saved over the recipe's 2,340 steps); of the whole D-step and G-step functions, 19 s to compile
  (1.4 s with a warm cache) for steps no faster than eager. It does not pay back its compile time.
- All of a model's parameters as views of one flat tensor, so the fused Adam sees one tensor:
  40 us saved per optimiser step (about 2%), at the cost of changing the checkpoint layout.
- `train.threads=1` on an idle machine: slower than two threads.

Where the time goes: a vanilla step is about 170 MFLOP of matrix products, which run at
120-160 GFLOP/s on the two cores (about 1.2 ms, close to what MKL gives these shapes); with
autograd and `torch.optim` around them a step takes about 3 ms, the fused step about 2 ms. The
`floor` row is the same vanilla step written out by hand in the benchmark for these two networks
and BCE alone (`HandDerivedStep`), with no framework around it; before timing, its worker checks
that it trains exactly as the plain loop does. ganzoo's fused steps do the same for any MLP and
any loss, and match it.

On a GPU: not measured yet. No GPU has been lent to this project so far (the session of the
performance issue asked on 2026-12-02: none lent). `python benchmarks/gpu_check.py` is ready for
the first session that gets one, in at most 5 minutes on one GPU: it trains every recipe 300
steps on CUDA and on the CPU and checks that losses and samples stay finite and close; measures
images/s of the 28x28 and 64x64 DCGANs in fp32, bf16, fp16 (the trainer's gradient scaler), with
`torch.compile` and with CUDA graphs (`mode="reduce-overhead"`, both applied by the script to the
models the step sees, compile time reported apart); and runs a 2-process nccl job when 2 GPUs
exist. `--out FILE` writes its tables, which belong here. `--cpu` runs the same code end to end
on the CPU in seconds (tests/test_gpu_check.py). On CUDA the trainer takes autograd steps (the
fused steps are CPU-only), `train.precision: auto` is fp32 until measured, and CUDA graphs are
not a trainer option.
""".splitlines()


# ---------------------------------------------------------------------------- driver
def run_worker(variant: str, size: str, args) -> dict:
    command = [sys.executable, __file__, "--worker", variant, "--size", size, "--data", args.data]
    limit = args.conv_limit if size in CONV_SIZES else args.limit
    command += [f"--limit={limit}"] if limit else []
    command += [f"--override={o}" for o in args.override]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _wall(command: list[str], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def startup() -> dict[str, float]:
    """Command start-up: --help must not import torch; list pays for torch (and the plugins) once."""
    return {"help": _wall([sys.executable, "-m", "ganzoo", "--help"]),
            "list": _wall([sys.executable, "-m", "ganzoo", "list"]),
            "torch": _wall([sys.executable, "-c", "import torch, torchvision"])}


def startup_lines(times: dict[str, float]) -> list[str]:
    return ["## Start-up", "", "| command | wall time (median of 5) |", "| --- | --- |",
            f"| `ganzoo --help` | {times['help']:.2f} s |", f"| `ganzoo list` | {times['list']:.2f} s |",
            f"| `python -c 'import torch, torchvision'` (for scale) | {times['torch']:.2f} s |", ""]


def target_lines(results: dict, times: dict[str, float]) -> list[str]:
    """The targets of the performance issue, each against this run's best times: about one process in
    five on these VMs runs a whole epoch some 60% slower, for every variant alike, and a median of five
    can still land on such a run."""
    vanilla, mlp = results["vanilla"], results["vanilla-mlp"]
    ganzoo, loader = vanilla["ganzoo"]["best_ratio"], vanilla["dataloader"]["best_ratio"] / vanilla["ganzoo"]["best_ratio"]
    whole = vanilla["ganzoo"]["best_fit_s"] / vanilla["plain"]["best_s"]
    measured = f"{ganzoo:.2f}x (whole fit(): {whole:.2f}x)"
    fused = mlp["ganzoo"]["best_ratio"]
    rows = [("vanilla recipe: epoch time <= 1.05x the plain loop at equal work (the framework costs nothing)",
             measured, ganzoo <= 1.05),
            ("the document's plain MLPs: epoch time <= 0.6x the plain loop at equal work (beat it)",
             f"{fused:.2f}x; floor {mlp['floor']['best_ratio']:.2f}x", fused <= 0.6),
            (">= 3x faster than the DataLoader pattern", f"{loader:.1f}x", loader >= 3),
            ("`ganzoo --help` under 0.5 s", f"{times['help']:.2f} s", times["help"] < 0.5),
            ("`ganzoo list` pays for importing torch once and nothing more",
             f"{times['list']:.2f} s (torch and torchvision alone: {times['torch']:.2f} s)", times["list"] <= times["torch"])]
    for size in CONV_SIZES:
        conv = results[size]["ganzoo"]["best_ratio"]
        fp32 = results[size].get("ganzoo-fp32")
        rows.append((f"{size} (convolutional, batch 64): epoch time <= 0.7x the plain loop", f"{conv:.2f}x"
                     + (f" (fp32: {fp32['best_ratio']:.2f}x)" if fp32 else ""), conv <= 0.7))
    return ["## Targets (this run, ratios of best times)", "", "| target | measured | met |",
            "| --- | --- | --- |",
            *[f"| {target} | {measured} | {'yes' if met else 'no'} |" for target, measured, met in rows], ""]


def machine() -> str:
    import torch

    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{model}, {os.cpu_count()} cores, torch {torch.__version__} "
            f"({torch.get_num_threads()} threads), Python {platform.python_version()}, {platform.system()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data", default=str((ROOT / ".." / "shared" / "datasets").resolve()))
    parser.add_argument("--limit", type=int, default=0, help="use only the first N images (0: all 60,000)")
    parser.add_argument("--override", action="append", default=[], help="extra recipe override for ganzoo")
    parser.add_argument("--out", default=str(ROOT / "docs" / "performance.md"))
    parser.add_argument("--worker", choices=WORKERS)
    parser.add_argument("--size", choices=[*SIZES, *CONV_SIZES], default="vanilla")
    parser.add_argument("--sizes", default=",".join([*SIZES, *CONV_SIZES]),
                        help="comma-separated sizes to time (default: all); docs/performance.md is written only "
                             "when all are timed, else --out names the file")
    parser.add_argument("--variants", help="comma-separated variants to time (default: every one of each size)")
    parser.add_argument("--conv-limit", type=int, default=12_800,
                        help="images per epoch of the convolutional GANs (0: all 60,000); default 12,800 (200 steps)")
    args = parser.parse_args()

    if args.worker:
        result = WORKERS[args.worker](args)
        result = result if isinstance(result, dict) else {"seconds": result}
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    sizes = args.sizes.split(",")
    unknown = set(sizes) - {*SIZES, *CONV_SIZES}
    if unknown:
        parser.error(f"unknown sizes: {', '.join(sorted(unknown))}")
    every_size = set(sizes) == {*SIZES, *CONV_SIZES}
    if not every_size and args.out == parser.get_default("out"):
        args.out = None  # a partial run must not replace the whole document
    results = {}
    for size in sizes:
        if size in CONV_SIZES:
            variants = CONV_VARIANTS
            images = (args.conv_limit or 60_000) // 64 * 64
        else:
            variants = ["plain", "ganzoo", "ganzoo-autograd", "ganzoo-bf16"] + (
                {"vanilla": ["dataloader"], "vanilla-mlp": ["floor"]}.get(size, []))
            images = (args.limit or 60_000) // 128 * 128
        if args.variants:
            variants = [v for v in variants if v in args.variants.split(",") or v == "plain"]
        times = {v: [] for v in variants}
        cpus = {v: [] for v in variants}
        peaks = {v: [] for v in variants}
        outputs = {v: [] for v in variants}
        fits = {v: [] for v in variants}
        steps = {}
        for repeat in range(args.repeats):
            # Interleaved, in alternating order, so drifts in machine load hit all alike.
            for variant in variants if repeat % 2 == 0 else variants[::-1]:
                result = run_worker(variant, size, args)
                times[variant].append(result["seconds"])
                cpus[variant].append(result.get("cpu_s", 0.0))
                peaks[variant].append(result["peak_mb"])
                outputs[variant].append(result.get("outputs_s", 0.0))
                fits[variant].append(result.get("fit_s", result["seconds"]))
                steps[variant] = result.get("step")
                print(f"{size:16s} {variant:36s} repeat {repeat + 1}: {result['seconds']:.2f} s "
                      f"(CPU time {result.get('cpu_s', 0):.2f} s)", file=sys.stderr)
        results[size] = {v: {"median_s": statistics.median(times[v]), "best_s": min(times[v]), "all_s": times[v],
                             "images_per_s": images / statistics.median(times[v]), "peak_mb": max(peaks[v]),
                             "outputs_s": statistics.median(outputs[v]), "best_fit_s": min(fits[v]),
                             "step": steps[v], "cpu_s": min(cpus[v])}
                         for v in variants}
        for r in results[size].values():
            r["ratio"] = r["median_s"] / results[size]["plain"]["median_s"]
            r["best_ratio"] = r["best_s"] / results[size]["plain"]["best_s"]

    lines = ["# Performance", "",
             "Epoch time of ganzoo's trainer against a plain PyTorch loop of the same models, loss, optimiser",
             "and batch size on the same in-memory data, and against the usual `DataLoader` over torchvision's",
             "MNIST with `ToTensor`/`Normalize`. Each figure is the median of interleaved repeats, each variant",
             "in a fresh process, in alternating order; ratios are taken within this one run. On these VMs",
             "about one process in five runs its whole epoch some 60% slower, whatever the variant, so the",
             "best of the repeats is shown too, and the targets are judged on it.", "",
             f"- Machine: {machine()}",
             f"- Data: {(args.limit or 60_000) // 128 * 128:,} MNIST images per epoch, batch 128, for the MLPs; "
             f"{(args.conv_limit or 60_000) // 64 * 64:,}, batch 64, for the convolutional GANs; "
             f"{args.repeats} repeats",
             f"- Command: `python benchmarks/trainer_speed.py{' --repeats ' + str(args.repeats) if args.repeats != 5 else ''}"
             f"{' --limit ' + str(args.limit) if args.limit else ''}"
             f"{' --sizes ' + args.sizes if not every_size else ''}`", ""]
    for size, variants in results.items():
        lines += [f"## {size}", "", "| variant | epoch time (median) | images/s | peak RSS | ratio to plain "
                  "| best time | ratio of best times |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for name, r in variants.items():
            label = f"{name} ({r['step']} steps)" if r["step"] else name
            lines.append(f"| {label} | {r['median_s']:.2f} s | {r['images_per_s']:,.0f} | {r['peak_mb']:.0f} MB "
                         f"| {r['ratio']:.2f} | {r['best_s']:.2f} s | {r['best_ratio']:.2f} |")
        ganzoo = variants["ganzoo"]
        lines += ["", f"ganzoo's rows time its training steps, the plain loop's equal work. Its whole `fit()` also "
                      f"writes the epoch's checkpoint and sample grid and the run's loss plot "
                      f"({ganzoo['outputs_s'] * 1000:.0f} ms here), which the other rows do not: with them, ganzoo's "
                      f"best epoch took {ganzoo['best_fit_s']:.2f} s, "
                      f"{ganzoo['best_fit_s'] / variants['plain']['best_s']:.2f}x the plain loop's."]
        if "floor" in variants:
            lines += ["", f"Best times: the hand-derived step (`floor`, see below) takes "
                          f"{variants['floor']['best_ratio']:.2f}x the plain loop's time, ganzoo's fused steps "
                          f"{variants['ganzoo']['best_ratio']:.2f}x."]
        if size in CONV_SIZES:
            lines += ["", conv_note(variants)]
        if "dataloader" in variants:
            lines += ["", f"ganzoo is {variants['dataloader']['best_s'] / variants['ganzoo']['best_s']:.1f}x faster "
                          "than the DataLoader pattern (best times)."]
        lines.append("")
    if every_size:
        times = startup()
        lines[lines.index("## vanilla"):lines.index("## vanilla")] = target_lines(results, times)
        lines += startup_lines(times) + LEVERS
    if args.out:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from results import kept_sections

        kept = kept_sections(Path(args.out))  # sections other benchmarks write (data_memory.py, packed_speed.py)
        Path(args.out).write_text("\n".join(lines) + "\n" + "".join(f"\n{section}\n" for section in kept))
    print("\n".join(lines))


def conv_note(variants: dict) -> str:
    plain = variants["plain"]
    ratios = [f"{name} {variants[name]['best_ratio']:.2f}x (CPU time {variants[name]['cpu_s'] / plain['cpu_s']:.2f}x)"
              for name in ("ganzoo", "ganzoo-fp32") if name in variants]
    return ("The `plain+LEVER` rows are the plain loop with that lever alone (benchmarks/conv_loops.py): what each "
            "is worth by itself. ganzoo's row runs the recipe with `train.precision: auto` (bf16 here when the CPU "
            "has AMX-BF16 or AVX512-BF16), its fused Adam and its autograd step; `ganzoo-fp32` the same in float32. "
            "Best times against the plain loop's, and least CPU time (which other jobs on a shared machine disturb "
            f"less than wall time, with one thread): {'; '.join(ratios)}.")


if __name__ == "__main__":
    main()

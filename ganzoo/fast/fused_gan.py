"""``ganzoo.GAN``'s training step without autograd's graph, for MLP generators and discriminators.

A vanilla GAN step on MNIST is a few dozen small matrix products; on a CPU much
of its time goes to the bookkeeping around them (autograd's graph, module calls,
the optimiser's per-step Python), not to the arithmetic. When both models are
chains of ``nn.Linear`` layers, element-wise activations (ReLU, LeakyReLU,
tanh, sigmoid) and ``nn.Dropout`` with reshapes between them, the trainer reads them into
``MLPChain``s and runs each step by hand: forward passes that keep their
activations, backward passes written out as matrix products (the gradients
autograd computes, up to float rounding), D run once on real and fake images
stacked in one batch. Autograd differentiates the loss by its logits only (a
few element-wise ops on N numbers), so any loss plugin works unchanged,
penalties included, and a loss author writes nothing for this path; a loss that
gives its gradients by the logits in closed form (``AdversarialLoss.
discriminator_logit_gradients`` and ``generator_logit_gradient``, optional; the
built-in ``bce`` does) spares the step autograd's graph and engine, 11-12% of a
founding step.
Gradients land in ``param.grad`` and the run's optimisers take their steps
through the same ``step.apply`` as every algorithm's updates, so checkpoints,
skips, EMA and callbacks are those of the autograd path.

The trainer picks this step once, in place of ``GAN.train_step``, only for
``ganzoo.GAN`` itself (a subclass may change the step), one process, the CPU,
float32 and unconditional models (see ``ganzoo.fast.choose_step``).

Dropout draws its masks from torch's generator in the order autograd's path
draws them (D on the real batch, then on the fake one), so both paths train alike
to float rounding, dropout included (``ganzoo.fast.bernoulli`` draws them faster where it can draw
the same numbers).

Models are read with ``torch.fx``; a model that does anything else (batch norm,
convolutions, branches, hooks, parametrisations, frozen weights,
labels) is left to autograd, and ``read_chain`` says why. A read model is
checked once on a probe batch against its own ``forward`` before it is trusted.
``train.step: autograd`` turns the path off.
"""

from __future__ import annotations

import itertools
import operator
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo.data import unit_range
from ganzoo.fast.bernoulli import ScaledMasks, bernoulli_
from ganzoo import layers
from ganzoo.errors import ContractViolation
from ganzoo.losses import AdversarialLoss, LossContext, scalar
from ganzoo.model_calls import set_requires_grad

_aten = torch.ops.aten
_MINUS_ONE = torch.tensor(-1.0)

# Modules fx keeps whole (its default keeps torch.nn's own; ganzoo.Tanh lives elsewhere).
_LEAVES = (nn.Linear, nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.Identity, nn.Flatten, nn.Dropout)
_RESHAPE_METHODS = {"view", "reshape", "flatten"}
_SHAPE_METHODS = {"size", "dim"}
_ACTIVATION_FUNCTIONS = {F.relu: "relu", torch.relu: "relu", F.leaky_relu: "leaky_relu", torch.tanh: "tanh",
                         layers.tanh: "fast_tanh", torch.sigmoid: "sigmoid"}
_ACTIVATION_METHODS = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid"}


@dataclass
class Layer:
    kind: str  # linear | relu | leaky_relu | tanh | fast_tanh | sigmoid | dropout
    linear: Optional[nn.Linear] = None
    slope: float = 0.0  # of leaky_relu
    dropout: Optional[nn.Dropout] = None  # its module, whose ``training`` says whether it drops


class Pass(list):
    """A forward pass: the input matrix, then every layer's output; ``masks`` holds the scaled
    dropout masks it applied, by layer index (the backward multiplies by them again)."""

    def __init__(self, outputs=(), masks=None):
        super().__init__(outputs)
        self.masks: Dict[int, torch.Tensor] = masks if masks is not None else {}


class MLPChain:
    """A model as a chain of layers on (batch, features) matrices, with a hand-written backward.

    It holds the model's own parameter tensors (as its optimiser does), so it sees every update
    and every ``load_state_dict``; replacing a parameter object would leave it behind.
    """

    def __init__(self, chain: List[Layer], out_shape: Tuple[int, ...], module: nn.Module):
        self.module = module  # the model it was read from (losses' penalties call it)
        self.layers = chain
        self.out_shape = out_shape  # of one sample of the model's output
        self.parameters = [p for layer in chain if layer.kind == "linear"
                           for p in (layer.linear.weight, layer.linear.bias) if p is not None]
        kinds = [layer.kind for layer in chain]
        # (kind, weight, bias, slope, in place): a layer may overwrite its input when that is a
        # linear layer's output, which no backward needs. A linear layer before ganzoo.Tanh (which
        # computes 2 sigmoid(2x) - 1) gives 2x itself: scaling by 2 is exact in floating point.
        self.ops = []
        self.transposed: List[torch.Tensor] = []
        for i, layer in enumerate(chain):
            after_linear = i > 0 and kinds[i - 1] == "linear"
            if layer.kind == "linear":
                doubled = i + 1 < len(kinds) and kinds[i + 1] == "fast_tanh"
                self.ops.append(("linear_2x" if doubled else "linear", layer.linear.weight, layer.linear.bias, 0.0,
                                 False))
                self.transposed.append(layer.linear.weight.t())  # a view: it follows every in-place update
            elif layer.kind == "fast_tanh" and after_linear:
                self.ops.append(("sigmoid_2x", None, None, 0.0, True))
            elif layer.kind == "dropout":  # never in place: the activation before it reads its own output
                self.ops.append(("dropout", None, None, 0.0, False))  # its module holds p and the mode
            else:
                self.ops.append((layer.kind, None, None, layer.slope, after_linear))
        self.first_linear = kinds.index("linear")
        # (layer index, module, features) of each dropout layer, in order
        self.dropouts = []
        features = next(layer.linear.in_features for layer in chain if layer.kind == "linear")
        for i, layer in enumerate(chain):
            if layer.kind == "linear":
                features = layer.linear.out_features
            elif layer.kind == "dropout":
                self.dropouts.append((i, layer.dropout, features))
        # the last layer writes into a given buffer when it is linear, or in place after a linear one
        self.writes_out = kinds[-1] == "linear" or self.ops[-1][4]
        self.mask_plans: Dict[tuple, ScaledMasks] = {}  # dropout_masks' buffers, by batches, dtype, device, layers

    def _dropping(self) -> list:
        """(layer index, module, features) of the dropout layers that are training and so draw masks."""
        return [(i, module, features) for i, module, features in self.dropouts if module.training and module.p > 0]

    def drops(self) -> bool:
        """Whether a dropout layer of the model is training (and so draws masks)."""
        return bool(self._dropping())

    def dropout_masks(self, batches: Sequence[int], like: torch.Tensor) -> Optional[Dict[int, torch.Tensor]]:
        """The scaled dropout masks of one pass over batches of these sizes stacked, drawn as separate
        calls of the model on each batch, in order, would draw them (nn.Dropout's own arithmetic);
        None when no dropout layer is training. The masks are buffers of this chain that the next call
        with the same batches overwrites (a pass's backward runs before it)."""
        active = self._dropping()
        if not active:
            return None
        key = (tuple(batches), like.dtype, like.device, tuple((i, module.p) for i, module, _ in active))
        plan = self.mask_plans.get(key)
        if plan is None:  # the same shapes every step: buffers and views made once
            plan = self.mask_plans[key] = ScaledMasks([(features, 1 - module.p) for _, module, features in active],
                                                      batches, like)
        return dict(zip((i for i, _, _ in active), plan.draw()))

    def forward(self, x: torch.Tensor, out: Optional[torch.Tensor] = None,
                masks: Optional[Dict[int, torch.Tensor]] = None) -> Pass:
        """The input as a matrix, then every layer's output; the last (the model's, flattened) in ``out``
        when given, a (batch, features) matrix. Training dropout layers apply ``masks`` (from
        ``dropout_masks``), or masks drawn as the layer is reached."""
        outputs = Pass([x if x.dim() == 2 else x.reshape(x.shape[0], -1)])
        last = len(self.ops) - 1
        into = last if out is not None and self.ops[last][0].startswith("linear") else last - 1
        transposed = iter(self.transposed)
        for i, (kind, w, b, slope, in_place) in enumerate(self.ops):
            h = outputs[-1]
            target = out if (i == into and out is not None and self.writes_out) else None
            if kind == "linear":
                wt = next(transposed)
                h = torch.addmm(b, h, wt, out=target) if b is not None else torch.mm(h, wt, out=target)
            elif kind == "linear_2x":
                wt = next(transposed)
                h = (torch.addmm(b, h, wt, beta=2, alpha=2, out=target) if b is not None
                     else torch.mm(h, wt, out=target).mul_(2))
            elif kind == "sigmoid_2x":
                h = torch.add(_MINUS_ONE, h.sigmoid_(), alpha=2, out=h)  # 2 sigmoid(2x) - 1 in one pass
            elif kind == "fast_tanh":
                h = layers.tanh(h)
            elif kind == "relu":
                h = h.relu_() if in_place else h.relu()
            elif kind == "leaky_relu":
                h = F.leaky_relu(h, slope, inplace=in_place)
            elif kind == "tanh":
                h = torch.tanh(h)
            elif kind == "dropout":
                module = self.layers[i].dropout
                if module.training and module.p > 0:
                    keep = 1 - module.p
                    mask = masks[i] if masks is not None else bernoulli_(torch.empty_like(h), keep).div_(keep)
                    outputs.masks[i] = mask
                    h = h * mask
            else:
                h = torch.sigmoid(h)
            outputs.append(h)
        if out is not None and outputs[-1] is not out:
            outputs[-1] = out.copy_(outputs[-1])
        return outputs

    def output(self, outputs: Pass) -> torch.Tensor:
        """The model's output, shaped as its ``forward`` shapes it."""
        return outputs[-1].view(outputs[-1].shape[0], *self.out_shape)

    def backward(self, outputs: Pass, grad: torch.Tensor, weights: bool = True, input_grad: bool = False,
                 overwrite: bool = False) -> Tuple[Optional[List[torch.Tensor]], Optional[torch.Tensor]]:
        """Gradients of ``self.parameters`` (if ``weights``) and of the input matrix (if ``input_grad``),
        given the gradient of the loss with respect to the flattened output (which the pass may
        ``overwrite``). Element-wise layers write their gradients over the incoming ones where those are
        the pass's own: the same kernels, without a fresh (cache-cold) buffer per layer."""
        grads: List[torch.Tensor] = []
        grad = grad.view(outputs[-1].shape)
        own = overwrite  # whether ``grad`` may be written over
        for i in range(len(self.ops) - 1, -1, -1):
            kind, w, b, slope, _ = self.ops[i]
            if kind in ("linear", "linear_2x"):
                if weights:
                    w_grad = grad.t().mm(outputs[i])
                    grads[:0] = [w_grad, grad.sum(0)] if b is not None else [w_grad]
                if i == self.first_linear and not input_grad:
                    break
                grad, own = grad.mm(w), True
            elif kind == "relu":
                grad = _pointwise(_aten.threshold_backward, own, grad, outputs[i + 1], 0)
            elif kind == "leaky_relu":
                grad = _pointwise(_aten.leaky_relu_backward, own, grad, outputs[i + 1], slope, True)
            elif kind in ("tanh", "fast_tanh", "sigmoid_2x"):
                grad = _pointwise(_aten.tanh_backward, own, grad, outputs[i + 1])
            elif kind == "dropout":
                if i in outputs.masks:
                    grad = grad.mul_(outputs.masks[i]) if own else grad * outputs.masks[i]
            else:
                grad = _pointwise(_aten.sigmoid_backward, own, grad, outputs[i + 1])
        return (grads if weights else None), (grad if input_grad else None)


def _pointwise(backward, own: bool, grad: torch.Tensor, *args) -> torch.Tensor:
    """An element-wise layer's aten backward of ``grad``, written over ``grad`` when the pass ``own``s it."""
    return backward.grad_input(grad, *args, grad_input=grad) if own else backward(grad, *args)


class _Tracer(torch.fx.Tracer):
    def is_leaf_module(self, module: nn.Module, qualname: str) -> bool:
        return isinstance(module, _LEAVES) or super().is_leaf_module(module, qualname)


def read_chain(model: nn.Module, probe: torch.Tensor) -> Union[MLPChain, str]:
    """``model`` as an MLPChain, or the reason it cannot be one. ``probe``: a batch of its inputs."""
    for module in model.modules():
        if module._forward_hooks or module._forward_pre_hooks or module._backward_hooks:
            return "a module in it has hooks"
        if torch.nn.utils.parametrize.is_parametrized(module):
            return "a module in it is parametrised (e.g. spectral norm)"
    if not all(p.requires_grad for p in model.parameters()):
        return "some of its parameters are frozen (requires_grad=False)"
    try:
        graph = _Tracer(autowrap_functions=(layers.tanh,)).trace(model)
    except Exception as error:  # noqa: BLE001 (fx fails in many ways on models it cannot read)
        return f"torch.fx cannot trace it ({type(error).__name__})"
    chain: List[Layer] = []
    current = None  # the node that holds the data
    shape_nodes = set()
    for node in graph.nodes:
        uses_data = [arg for arg in node.all_input_nodes if arg not in shape_nodes]
        if node.op == "placeholder":
            if current is not None:
                return "its forward takes more than one input"
            current = node
            continue
        if node.op == "output":
            if uses_data != [current]:
                return "its output is not the end of one chain of layers"
            break
        if node.op == "get_attr":
            return f"its forward reads '{node.target}' directly"
        if _is_shape_access(node):
            shape_nodes.add(node)
            continue
        if uses_data != [current] or node.args[0] is not current:
            return f"'{node.name}' is not one step of a single chain of layers"
        layer = _layer_of(node, model)
        if isinstance(layer, str):
            return layer
        if layer is not None:
            chain.append(layer)
        current = node
    if not any(layer.kind == "linear" for layer in chain):
        return "it has no linear layer"
    parameters = [p for layer in chain if layer.kind == "linear"
                  for p in (layer.linear.weight, layer.linear.bias) if p is not None]
    if len(parameters) != len(list(model.parameters())) or any(
            a is not b for a, b in zip(parameters, model.parameters())):
        return "its parameters are not all the weights of its linear layers, in order"
    try:  # a training dropout layer draws the same masks in both passes, from the same seed
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            expected = model(probe)
            found = MLPChain(chain, tuple(expected.shape[1:]), model)
            torch.manual_seed(0)
            got = found.output(found.forward(probe))
    except Exception as error:  # noqa: BLE001 (e.g. a reshape that needs a fixed batch size)
        return f"its layers, read by torch.fx, fail on a probe batch ({type(error).__name__})"
    if expected.shape != got.shape or not torch.allclose(expected, got, rtol=1e-4, atol=1e-5):
        return "its layers, read by torch.fx, do not reproduce its output"
    return found


def _is_shape_access(node: torch.fx.Node) -> bool:
    if node.op == "call_function" and node.target is getattr and node.args[1] == "shape":
        return True
    if node.op == "call_method" and node.target in _SHAPE_METHODS:
        return True
    # an element of a shape: x.shape[0], x.size(0)
    return (node.op == "call_function" and node.target is operator.getitem
            and isinstance(node.args[0], torch.fx.Node) and _is_shape_access(node.args[0]))


def _layer_of(node: torch.fx.Node, model: nn.Module) -> Union[Layer, None, str]:
    """The layer a node computes; None for a reshape that keeps the batch; a reason when unsupported."""
    if node.op == "call_module":
        module = model.get_submodule(node.target)
        if isinstance(module, nn.Linear):
            return Layer("linear", linear=module)
        if isinstance(module, nn.ReLU):
            return Layer("relu")
        if isinstance(module, nn.LeakyReLU):
            return Layer("leaky_relu", slope=module.negative_slope)
        if isinstance(module, layers.Tanh):
            return Layer("fast_tanh")
        if isinstance(module, nn.Tanh):
            return Layer("tanh")
        if isinstance(module, nn.Sigmoid):
            return Layer("sigmoid")
        if isinstance(module, nn.Identity):
            return None
        if type(module) is nn.Dropout:  # its subclasses (Dropout2d, AlphaDropout...) drop otherwise
            return Layer("dropout", dropout=module)
        if isinstance(module, nn.Flatten) and module.start_dim == 1:
            return None
        return f"it has a {type(module).__name__} layer"
    extra = list(node.args[1:]) + list(node.kwargs.values())
    if node.op == "call_function" and node.target in _ACTIVATION_FUNCTIONS:
        kind = _ACTIVATION_FUNCTIONS[node.target]
        if kind == "leaky_relu":
            slope = node.kwargs.get("negative_slope", node.args[1] if len(node.args) > 1 else 0.01)
            if not isinstance(slope, float) or node.kwargs.get("inplace") or (len(node.args) > 2 and node.args[2]):
                return "its leaky_relu call is not one the fused step reads"
            return Layer("leaky_relu", slope=slope)
        return Layer(kind) if not extra else f"its {node.target.__name__} call has extra arguments"
    if node.op == "call_method" and node.target in _ACTIVATION_METHODS and not extra:
        return Layer(_ACTIVATION_METHODS[node.target])
    if node.op == "call_method" and node.target in _RESHAPE_METHODS:
        return None  # checked on the probe batch: the batch dimension must survive
    if node.op == "call_function" and node.target is torch.flatten:
        return None
    name = getattr(node.target, "__name__", node.target)
    return f"its forward calls '{name}'"


class FusedGAN:
    """``ganzoo.GAN``'s training step, by hand for MLP chains (see the module's doc): the same
    ``train_step(batch, step)`` as the algorithm's, with the same noise, updates and logs."""

    def __init__(self, algorithm, generator: MLPChain, discriminator: MLPChain):
        self.algorithm = algorithm
        self.G, self.D = generator, discriminator
        self.rows: Optional[_Rows] = None
        self.prepared: Optional[Pass] = None  # G's pass for the next G step
        self.next_latent: Optional[torch.Tensor] = None  # or its noise, when that pass waits for the G step

    def train_step(self, batch, step) -> None:
        loss = step.losses["loss"]
        real = batch.images
        with torch.no_grad():
            # The G step's noise too, when one follows: drawn now, it is the same numbers, as nothing
            # else draws from the noise stream in between.
            z = step.latent()
            g_step = self.algorithm.generator_steps_after(step.index)
            reuse = g_step and self.algorithm.params.reuse_fakes
            z_next = step.latent() if g_step and not reuse else None
            d_loss, real_logits, fake_logits = self.discriminator_gradients(real, z, loss, step.index, z_next,
                                                                            keep=reuse)
        if step.apply_gradients("discriminator", d_loss):
            step.log(d_loss=d_loss, d_real=torch.sigmoid(real_logits).mean(), d_fake=torch.sigmoid(fake_logits).mean())
        if g_step:
            with torch.no_grad():
                g_loss = self.generator_gradients(real, loss, step.index)
            if step.apply_gradients("generator", g_loss):
                step.log(g_loss=g_loss)

    def discriminator_gradients(self, real: torch.Tensor, z: torch.Tensor, loss, index: int,
                                z_next: Optional[torch.Tensor] = None, keep: bool = False):
        """Gradients on D's parameters from one D step; returns (d_loss, real_logits, fake_logits).

        D sees real and fake images as one batch of twice the size (fewer, larger kernels): the
        generator writes its images straight below the real ones. ``z_next``, the noise of the G
        step that follows, goes through G in the same pass: G's weights do not change in between.
        With ``keep`` (``reuse_fakes``) the G step takes this step's own pass.
        Autograd differentiates the loss by the logits (and by D's weights, for penalties).
        """
        G, D = self.G, self.D
        n = real.shape[0]
        rows = self._rows(n, real.shape[1:], real)
        if real.data_ptr() != rows.all.data_ptr():  # not gathered there by gather
            rows.real.copy_(real.view(n, -1))
        if keep:
            self.prepared, self.next_latent = G.forward(z, out=rows.fake), None
        elif z_next is None or G.drops():
            # (a training dropout in G would draw the G step's masks before D's: that pass waits)
            G.forward(z, out=rows.fake)
            self.prepared, self.next_latent = None, z_next
        else:  # both fake batches in one pass, into rows n..3n; the G step takes the second
            outputs = G.forward(torch.cat([z, z_next]), out=rows.fakes)
            self.prepared = Pass(out[n:] for out in outputs)
        outputs = D.forward(rows.pair, masks=D.dropout_masks([n, n], rows.pair))
        logits = outputs[-1].view(-1)
        half = logits.shape[0] // 2
        real_logits, fake_logits = logits[:half], logits[half:]
        ctx = LossContext(self.D.module, real, rows.fake_images, None, index)
        method = closed_form_method(loss, "discriminator_logit_gradients", "discriminator_loss")
        closed = method(real_logits, fake_logits, ctx) if method is not None else None
        if closed is not None:  # the loss's own closed form: no graph
            d_loss, real_grad, fake_grad = checked_closed_form(closed, 3, loss, "discriminator_logit_gradients",
                                                        (real_logits, fake_logits))
            penalty = []
        else:
            real_logits = real_logits.detach().requires_grad_(True)
            fake_logits = fake_logits.detach().requires_grad_(True)
            with torch.enable_grad():
                d_loss = scalar(loss.discriminator_loss(real_logits, fake_logits, ctx), loss, "discriminator_loss")
                real_grad, fake_grad, *penalty = torch.autograd.grad(
                    d_loss, [real_logits, fake_logits, *D.parameters], allow_unused=True)
        grad = torch.cat([_or_zeros(real_grad, real_logits), _or_zeros(fake_grad, fake_logits)])
        grads, _ = D.backward(outputs, grad, overwrite=True)
        for param, own, more in itertools.zip_longest(D.parameters, grads, penalty):
            param.grad = own if more is None else own.add_(more)
        return d_loss.detach(), real_logits.detach(), fake_logits.detach()

    def gather(self, images: torch.Tensor, index: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``images.index_select(0, index)`` (all rows when ``index`` is None) as floats in [-1, 1],
        written straight into the rows D reads real images from; uint8 images are scaled there."""
        n = images.shape[0] if index is None else index.shape[0]
        dtype = torch.float32 if images.dtype == torch.uint8 else images.dtype
        real_images = self._rows(n, images.shape[1:], images, dtype).real_images
        if images.dtype == torch.uint8:
            return unit_range(images if index is None else images.index_select(0, index), out=real_images)
        if index is None:
            return real_images.copy_(images)
        return torch.index_select(images, 0, index, out=real_images)

    def _rows(self, n: int, image_shape: torch.Size, like: torch.Tensor,
              dtype: Optional[torch.dtype] = None) -> "_Rows":
        """The buffer of real images over two fake batches, kept from step to step (``like``'s device;
        ``dtype``, or ``like``'s)."""
        rows, dtype = self.rows, dtype or like.dtype
        if rows is None or rows.all.shape[0] != 3 * n or rows.all.device != like.device or rows.all.dtype != dtype:
            self.rows = rows = _Rows(torch.empty(3 * n, image_shape.numel(), dtype=dtype, device=like.device),
                                     n, image_shape, self.G.out_shape)
        return rows

    def generator_gradients(self, real: torch.Tensor, loss, index: int) -> torch.Tensor:
        """Gradients on G's parameters from one G step (D's weights untouched); returns g_loss. G's pass
        is the one the D step made. Autograd differentiates the loss by the logits and by the fake
        images it may read."""
        G, D = self.G, self.D
        g_outputs, self.prepared = self.prepared, None
        if g_outputs is None:
            g_outputs, self.next_latent = G.forward(self.next_latent), None
        z, fake = g_outputs[0], G.output(g_outputs)
        fake_rows = g_outputs[-1]
        d_outputs = D.forward(fake_rows, masks=D.dropout_masks([fake_rows.shape[0]], fake_rows))  # one draw
        logits = d_outputs[-1].view(-1)
        method, closed = closed_form_method(loss, "generator_logit_gradient", "generator_loss"), None
        if method is not None and self.algorithm.top_k(index, logits.shape[0]) >= logits.shape[0]:  # no top-k
            closed = method(logits, LossContext(D.module, real, fake, None, index, latent=z))
        if closed is not None:  # the loss's own closed form: no graph
            g_loss, logit_grad = checked_closed_form(closed, 2, loss, "generator_logit_gradient", (logits,))
            fake_grad = None
        else:
            logits = logits.detach().requires_grad_(True)
            fake = fake.detach().requires_grad_(True)
            ctx = LossContext(D.module, real, fake, None, index, latent=z)
            set_requires_grad(D.parameters, False)  # as documented: D is frozen in G's loss
            try:
                with torch.enable_grad():
                    g_loss = scalar(loss.generator_loss(*self.algorithm.top_k_fakes(logits, ctx, index)), loss,
                                    "generator_loss")
                    logit_grad, fake_grad = torch.autograd.grad(g_loss, [logits, fake], allow_unused=True)
            finally:
                set_requires_grad(D.parameters, True)
        _, grad = D.backward(d_outputs, _or_zeros(logit_grad, logits), weights=False, input_grad=True)
        if fake_grad is not None:
            grad = grad + fake_grad.reshape(grad.shape)
        grads, _ = G.backward(g_outputs, grad, overwrite=True)
        for param, own in zip(G.parameters, grads):
            param.grad = own
        return g_loss.detach()


class _Rows:
    """Views of one (3n, features) buffer: real images, the D step's fake ones, the G step's."""

    def __init__(self, all_rows: torch.Tensor, n: int, image_shape, fake_shape):
        self.all = all_rows
        self.real, self.fake, self.fakes, self.pair = all_rows[:n], all_rows[n:2 * n], all_rows[n:], all_rows[:2 * n]
        self.real_images = self.real.view(n, *image_shape)
        self.fake_images = self.fake.view(n, *fake_shape)


def closed_form_method(loss, closed: str, of: str):
    """``loss``'s bound method ``closed`` (its gradients in closed form), or None: where it has none, and where
    the class that defines ``of`` (the loss itself) is not the one that defines ``closed`` or a base of it. A
    subclass that changes ``discriminator_loss`` but inherits its base's closed form is differentiated by
    autograd, not given the base's gradients."""
    kind = type(loss)
    key = (kind, closed)
    if key not in _CLOSED_FORMS:
        owner_closed, owner_loss = _owner(kind, closed), _owner(kind, of)
        _CLOSED_FORMS[key] = (owner_closed not in (None, AdversarialLoss)  # the base class's gives None
                              and owner_loss is not None and issubclass(owner_closed, owner_loss))
    return getattr(loss, closed) if _CLOSED_FORMS[key] else None


def _owner(kind: type, name: str) -> Optional[type]:
    """The class in ``kind``'s MRO whose own namespace defines ``name``."""
    return next((klass for klass in kind.__mro__ if name in vars(klass)), None)


_CLOSED_FORMS: Dict[tuple, bool] = {}  # (loss class, method) -> whether its closed form may be used


def checked_closed_form(found, size: int, loss, method: str, logits: Sequence[torch.Tensor]) -> tuple:
    """A loss's ``(loss, gradient by each logits tensor...)``, checked: a tuple of ``size``, a scalar loss (returned
    detached), gradients shaped as the logits; else a one-line ``ContractViolation``. ``ganzoo.testing.check_loss``
    holds plugins to the same contract."""
    if not isinstance(found, tuple) or len(found) != size:
        raise ContractViolation(f"{method} returned {type(found).__name__}; it must return None or a tuple of "
                                f"{size} tensors (the loss, then its gradient by each logits tensor)", loss)
    value, *grads = found
    scalar(value, loss, method)
    for grad, like in zip(grads, logits):
        if not isinstance(grad, torch.Tensor) or grad.shape != like.shape:
            what = f"shape {tuple(grad.shape)}" if isinstance(grad, torch.Tensor) else type(grad).__name__
            raise ContractViolation(f"{method} returned a gradient of {what} for logits of shape "
                                    f"{tuple(like.shape)}", loss)
    return (value.detach(), *grads)


def _or_zeros(grad: Optional[torch.Tensor], like: torch.Tensor) -> torch.Tensor:
    return grad if grad is not None else torch.zeros_like(like)


def plan(algorithm, generator: nn.Module, discriminator: nn.Module, image_shape: Sequence[int],
         device: torch.device) -> Union[FusedGAN, str]:
    """FusedGAN for these models, or the reason they need autograd."""
    probe_rng = torch.Generator(device).manual_seed(0)
    z = torch.randn(5, generator.latent_dim, device=device, generator=probe_rng)
    images = torch.rand(5, *image_shape, device=device, generator=probe_rng) * 2 - 1
    found = []
    for kind, model, probe in (("generator", generator, z), ("discriminator", discriminator, images)):
        chain = read_chain(model, probe)
        if isinstance(chain, str):
            return f"the {kind} cannot be fused: {chain}"
        found.append(chain)
    return FusedGAN(algorithm, *found)

"""``optimizer.step()`` for torch's fused Adam and AdamW, with less Python around the kernel.

``torch.optim.Adam(fused=True).step()`` spends about 115 us per call on a CPU in
Python bookkeeping (profiler ranges, grad-mode guards, lazy-state checks,
grouping tensors by device) around a kernel that takes about 40 us for the
vanilla GAN's models: for a small model, that is most of the update. ``OptimizerUpdate``
calls the same kernel, ``torch._fused_adam_`` (``_fused_adamw_`` for decoupled
weight decay), on the optimiser's own state tensors, with the optimiser's own
hyper-parameters read from its param groups at every step, exactly as
``Adam.step`` would: the state dict, checkpoints and learning-rate changes are
untouched. The first step creates the state as ``Adam.step`` does (a float32 step
count and zeroed averages on the parameter's device, in its memory format), which
also keeps ``Optimizer.step`` from importing ``torch._dynamo`` (``ganzoo.fast.lazy_dynamo``).
Anything it does not cover (other optimisers; AMSGrad, hooks, tensors on several
devices or dtypes) goes to ``optimizer.step()``.
"""

from __future__ import annotations

import torch
from torch.optim import optimizer as torch_optimizer

_GROUP_KEYS = {"lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "foreach", "capturable",
               "differentiable", "fused", "decoupled_weight_decay"}


class OptimizerUpdate:
    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        self._groups = None  # the param_groups list ``direct`` was judged on (load_state_dict replaces it)
        self._direct = False

    @property
    def direct(self) -> bool:
        """Whether steps (after the first) call the kernel directly, judged on the current param groups."""
        if self._groups is not self.optimizer.param_groups:
            self._groups, self._direct = self.optimizer.param_groups, _kernel_applies(self.optimizer)
        return self._direct

    def __call__(self) -> None:
        calls = self._kernel_calls() if self.direct and not _has_hooks(self.optimizer) else None
        if calls is None:
            self.optimizer.step()
            return
        for group, params, grads, exp_avgs, exp_avg_sqs, steps in calls:
            beta1, beta2 = group["betas"]
            kernel = torch._fused_adamw_ if group["decoupled_weight_decay"] else torch._fused_adam_
            torch._foreach_add_(steps, 1)
            kernel(params, grads, exp_avgs, exp_avg_sqs, [], steps, lr=group["lr"], beta1=beta1, beta2=beta2,
                   weight_decay=group["weight_decay"], eps=group["eps"], amsgrad=False,
                   maximize=group["maximize"])

    def _kernel_calls(self):
        """Per group, the tensors of one kernel call, gathered before any group is updated; a tensor with
        a gradient and no state yet gets it here, as fused ``Adam.step`` would create it."""
        state, calls = self.optimizer.state, []
        for group in self.optimizer.param_groups:
            params, grads, exp_avgs, exp_avg_sqs, steps = [], [], [], [], []
            for param in group["params"]:
                if param.grad is None:
                    continue
                param_state = state[param]  # a defaultdict, as in Adam._init_group
                if not param_state:
                    param_state.update(_fresh_state(param))
                params.append(param)
                grads.append(param.grad)
                exp_avgs.append(param_state["exp_avg"])
                exp_avg_sqs.append(param_state["exp_avg_sq"])
                steps.append(param_state["step"])
            if params:
                calls.append((group, params, grads, exp_avgs, exp_avg_sqs, steps))
        return calls


def _fresh_state(param: torch.Tensor) -> dict:
    """The state fused ``Adam``/``AdamW`` give a tensor at its first step (``Adam._init_group``)."""
    check = getattr(torch_optimizer, "_device_dtype_check_for_fused", None)
    if check is not None:
        check(param)  # torch's own refusal of a device or dtype its fused kernels do not take
    return {"step": torch.zeros((), dtype=torch.float32, device=param.device),
            "exp_avg": torch.zeros_like(param, memory_format=torch.preserve_format),
            "exp_avg_sq": torch.zeros_like(param, memory_format=torch.preserve_format)}


def _has_hooks(optimizer: torch.optim.Optimizer) -> bool:
    return bool(optimizer._optimizer_step_pre_hooks or optimizer._optimizer_step_post_hooks
                or torch_optimizer._global_optimizer_pre_hooks
                or torch_optimizer._global_optimizer_post_hooks)


def _kernel_applies(optimizer: torch.optim.Optimizer) -> bool:
    """Whether every step of ``optimizer`` after the first is one fused kernel call on float state."""
    if type(optimizer) not in (torch.optim.Adam, torch.optim.AdamW):
        return False
    if getattr(optimizer, "grad_scale", None) is not None or getattr(optimizer, "found_inf", None) is not None:
        return False
    for group in optimizer.param_groups:
        if not _GROUP_KEYS <= group.keys():  # a torch whose Adam keeps other settings
            return False
        if not group["fused"] or group["amsgrad"] or group["capturable"] or group["differentiable"]:
            return False
        if torch.is_tensor(group["lr"]) or any(torch.is_tensor(beta) for beta in group["betas"]):
            return False
        kinds = {(p.device, p.dtype) for p in group["params"]}
        if len(kinds) != 1 or any(p.is_complex() for p in group["params"]):
            return False
    return True


def match_parameter_layouts(optimizer: torch.optim.Optimizer) -> None:
    """Lay each per-parameter state tensor of its parameter's shape out as the parameter is (a checkpoint of a
    run with another ``train.memory_format``, say): torch's fused Adam pairs their elements by position in
    memory, so a channels-last parameter with contiguous moments would be updated with the wrong ones."""
    for group in optimizer.param_groups:
        for param in group["params"]:
            state = optimizer.state.get(param) or {}
            for key, value in state.items():
                if isinstance(value, torch.Tensor) and value.shape == param.shape and value.stride() != param.stride():
                    state[key] = torch.empty_like(param, dtype=value.dtype).copy_(value)

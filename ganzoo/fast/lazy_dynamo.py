"""Keep ``torch._dynamo`` unimported in a training process that never compiles.

Importing ``torch._dynamo`` takes about as long as importing torch itself (about 1 s on a 2-core
CPU, 1.6 to 2.5 s beside other jobs), and a plain ``torch.optim.Adam(...)`` pays it: torch wraps
``Optimizer.add_param_group``, ``zero_grad``, ``state_dict`` and ``load_state_dict`` in
``torch._disable_dynamo``, which imports dynamo at the first call of each to mark the method as not
to be traced. (``Optimizer.step`` imports it too; ``OptimizerUpdate`` creates the fused kernel's state
itself, so the trainer's steps do not call it.) ``defer_dynamo_import`` gives those methods a
stand-in that calls the method as it is while ``torch._dynamo`` is not loaded (nothing can be
compiling then, so there is nothing to mark) and hands over to torch's own marking, for good, once
anything has loaded it (``torch.compile``, a plugin, the user). No number changes; only start-up
time does.
"""

from __future__ import annotations

import sys
from typing import Callable

import torch

_DYNAMO = "torch._dynamo"


def defer_dynamo_import() -> None:
    """Give the ``torch._disable_dynamo``-wrapped methods of ``torch.optim.Optimizer`` the stand-in
    (once; nothing to do where ``torch._dynamo`` is loaded already or torch wraps them otherwise)."""
    if _DYNAMO in sys.modules:
        return
    import torch._compile

    wrapper_code = torch._compile._disable_dynamo(lambda: None).__code__  # torch's ``inner``
    for member in vars(torch.optim.Optimizer).values():
        method = getattr(member, "__wrapped__", None)
        if getattr(member, "__code__", None) is wrapper_code and callable(method) \
                and getattr(method, "__dynamo_disable", None) is None:
            setattr(method, "__dynamo_disable", _until_dynamo_loads(method))


def _until_dynamo_loads(method: Callable) -> Callable:
    def call(*args, **kwargs):
        dynamo = sys.modules.get(_DYNAMO)
        if dynamo is None:
            return method(*args, **kwargs)
        try:  # what torch's wrapper would have made
            disabled = dynamo.disable(method, True, wrapping=False)
        except TypeError:  # a torch before disable(wrapping=...): its wrapper calls disable(fn, recursive)
            disabled = dynamo.disable(method, True)
        setattr(method, "__dynamo_disable", disabled)
        return disabled(*args, **kwargs)

    return call

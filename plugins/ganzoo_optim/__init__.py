"""ganzoo's built-in optimisers and learning-rate schedules.

Registered through the ``ganzoo`` entry-point group and built from ganzoo's public
API, exactly as a third-party plugin is: a recipe's ``optimizers.<role>`` names one
of each (``{name: adam, params: {lr: 2.0e-4}, schedule: {name: linear}}``).
"""

from ganzoo import hookimpl

from ganzoo_optim.optimizers import AdamParams, RMSpropParams, SGDParams, make_adam, make_adamw, make_rmsprop, make_sgd
from ganzoo_optim.schedules import (ConstantParams, CosineParams, LinearParams, WarmupParams, make_constant,
                                    make_cosine, make_linear, make_warmup)


@hookimpl
def register_optimizers(register):
    register("adam", make_adam, AdamParams, "Adam (Kingma & Ba 2015), torch's fused kernel where it has one.")
    register("adamw", make_adamw, AdamParams, "AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019).")
    register("sgd", make_sgd, SGDParams, "Stochastic gradient descent, with momentum and Nesterov options.")
    register("rmsprop", make_rmsprop, RMSpropParams, "RMSprop (Hinton 2012); WGAN's optimiser.")


@hookimpl
def register_schedules(register):
    register("constant", make_constant, ConstantParams, "The optimiser's learning rate throughout (the default).")
    register("linear", make_linear, LinearParams,
             "Constant, then linear decay to final * lr from a point of training (pix2pix, CycleGAN).")
    register("cosine", make_cosine, CosineParams, "Cosine decay to final * lr over training, after an optional warm-up.")
    register("warmup", make_warmup, WarmupParams, "Linear warm-up from 0 to lr over the first steps, then constant.")

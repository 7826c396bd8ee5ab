"""ganzoo-gman: a worked example of a third-party ganzoo training algorithm.

It registers one algorithm, ``gman``: Generative Multi-Adversarial Networks
(Durugkar, Gemp and Mahadevan, ICLR 2017), one generator trained against two
discriminators. It imports only ganzoo's public API, like every plugin should.
"""

from ganzoo import hookimpl

from ganzoo_gman.gman import GMAN, GMANParams


@hookimpl
def register_algorithms(register):
    register("gman", GMAN, GMANParams,
             "GMAN (Durugkar et al. 2017): one generator against two discriminators, their feedback "
             "averaged or softmax-weighted (GMAN-lambda).")

"""ganzoo's built-in metrics, in the feature space of its own MNIST classifier.

Registered through the ``ganzoo`` entry-point group, like any plugin.
"""

from ganzoo import hookimpl

from ganzoo_metrics.metrics import (FID, KID, DCParams, DensityCoverage, KIDParams, MNISTScore, ModeParams, Modes,
                                    NoParams, PRParams, PrecisionRecall, ScoreParams)


@hookimpl
def register_metrics(register):
    register("fid", FID, NoParams, "Fréchet distance between Gaussians fitted to classifier features (lower is better).")
    register("kid", KID, KIDParams,
             "Kernel distance: unbiased MMD² with a cubic polynomial kernel over subsets (lower is better).")
    register("mnist_score", MNISTScore, ScoreParams,
             "Inception Score with ganzoo's MNIST classifier: exp E[KL(p(y|x) || p(y))], at most 10.")
    register("modes", Modes, ModeParams,
             "Mode coverage: digit classes holding >= 2% of samples, and KL of the class histogram to uniform.")
    register("precision_recall", PrecisionRecall, PRParams,
             "Precision and recall with k-NN manifolds (Kynkäänniemi et al. 2019, k=3).")
    register("density_coverage", DensityCoverage, DCParams,
             "Density and coverage on the real k-NN manifold (Naeem et al. 2020, k=5): robust to outliers.")

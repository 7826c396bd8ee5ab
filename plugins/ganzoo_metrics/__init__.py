"""ganzoo's built-in metrics: sets of images compared in a feature extractor's space (ganzoo's MNIST
classifier's for MNIST), and translated pictures compared with their right answers.

Registered through the ``ganzoo`` entry-point group, like any plugin.
"""

from ganzoo import hookimpl

from ganzoo_metrics.metrics import (FID, KID, DCParams, DensityCoverage, KIDParams, MNISTScore, ModeParams, Modes,
                                    NoParams, PRParams, PrecisionRecall, ScoreParams)
from ganzoo_metrics.pairs import L1, PSNR, SSIM, Accuracy


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
    register("l1", L1, NoParams, "Translation: mean absolute pixel error against the right answers, pixels in [0, 1].")
    register("psnr", PSNR, NoParams, "Translation: PSNR (dB, capped at 100) against the right answers.")
    register("ssim", SSIM, NoParams,
             "Translation: SSIM (as torchmetrics computes it, Gaussian window 11) against the right answers; 11+ pixel sides.")
    register("accuracy", Accuracy, NoParams,
             "The extractor's classifier reads each image as the class it should show (a translation's input label).")

"""`ganzoo train-classifier`: train the metrics' MNIST classifier again."""

from __future__ import annotations

from ganzoo.commands.common import THREADS_HELP, _check_options, _use_threads
from ganzoo.errors import GanzooError

HELP = "train the MNIST (or Fashion-MNIST) classifier the metrics use, again"
DESCRIPTION = ("Train ganzoo's MNIST classifier on the MNIST train set (or its Fashion-MNIST sibling, "
               "--dataset fashion-mnist), report its test accuracy and write its float16 weights and SHA-256.")


def add_arguments(retrain) -> None:
    retrain.add_argument("--dataset", default="mnist", choices=("mnist", "fashion-mnist"),
                         help="the data it learns (default mnist)")
    retrain.add_argument("--data", metavar="ROOT", help="folder holding MNIST/raw/ (or FashionMNIST/raw/; default "
                                                        "$GANZOO_DATA or ./data)")
    retrain.add_argument("--epochs", type=int, default=5, help="epochs (default 5)")
    retrain.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    retrain.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    retrain.add_argument("--threads", type=int, metavar="N", help=THREADS_HELP)
    retrain.add_argument("--out", metavar="FILE",
                         help="weights file to write (default mnist_classifier.pt, fashion_classifier.pt)")


def cmd_train_classifier(args) -> int:
    from ganzoo.eval.classifier import retrain

    if args.epochs < 1:
        raise GanzooError(f"--epochs must be at least 1, got {args.epochs}")
    _check_options(args, "--device", "--seed")
    _use_threads(args)
    out = args.out or ("mnist_classifier.pt" if args.dataset == "mnist" else "fashion_classifier.pt")
    retrain(args.data, out, epochs=args.epochs, seed=args.seed, device=args.device, dataset=args.dataset)
    return 0

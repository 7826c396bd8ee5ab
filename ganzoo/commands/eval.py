"""`ganzoo eval`: score a run against its dataset's held-out reference set, beside real vs real."""

from __future__ import annotations

from ganzoo.commands.common import DEVICE_HELP, THREADS_HELP, _check_options, _use_threads

HELP = "score a run against its dataset's held-out images, beside real vs real"
DESCRIPTION = ("Score a run's newest checkpoint against its dataset's held-out reference set (MNIST's test set, "
               "say) with the metrics, in the feature space of the extractor that accepts its data (ganzoo's MNIST "
               "classifier for MNIST), beside the same metrics real-vs-real (a training sample of the same size "
               "against the reference set). A translation run is scored the same way, by direction, on its "
               "held-out split: its outputs, its right answers (real vs real) and the input itself (the baseline). "
               "Writes RUN_DIR/eval.json.")


def add_arguments(evaluate) -> None:
    evaluate.add_argument("run_dir", metavar="RUN_DIR")
    evaluate.add_argument("-n", type=int, help="generated images (default: the recipe's eval.n, 10000)")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    evaluate.add_argument("--seed", type=int, default=0, help="noise and sample seed (default 0)")
    evaluate.add_argument("--data", metavar="ROOT", help="the dataset's root, e.g. the folder holding MNIST/raw/ "
                                                         "(default: the one the run recorded, else $GANZOO_DATA, "
                                                         "else ./data)")
    evaluate.add_argument("--classifier", metavar="FILE", help="weights from `ganzoo train-classifier` "
                                                               "(default: the ones shipped with ganzoo)")
    evaluate.add_argument("--reference", metavar="FOLDER",
                          help="a folder of PNG/JPEG images, never trained on, to score against instead of the "
                               "dataset's held-out reference set (an image-folder or packed run without one)")
    evaluate.add_argument("--device", default="auto", help=DEVICE_HELP)
    evaluate.add_argument("--threads", type=int, metavar="N", help=THREADS_HELP)
    evaluate.add_argument("--features", metavar="NAME",
                          help="the feature extractor (`ganzoo list --kind feature_extractor`); default: the one that "
                               "accepts the run's data (mnist-classifier for MNIST). inception: Inception-v3 for FID, "
                               "KID and Inception Score comparable with papers (its weights are downloaded when missing; "
                               "writes eval-inception.json; see docs/ecosystem.md); another NAME writes "
                               "eval-NAME.json")


def cmd_eval(args) -> int:
    from ganzoo.eval.evaluation import evaluate_run, print_report

    _check_options(args, "--device", "--seed")
    _use_threads(args)
    report = evaluate_run(args.run_dir, n=args.n, seed=args.seed, data_root=args.data,
                          classifier=args.classifier, device=args.device, features=args.features,
                          reference=args.reference)
    print_report(report, as_json=args.json)
    return 0

"""`ganzoo sample`: draw images (or points) from a trained run."""

from __future__ import annotations

from ganzoo.commands.common import DEVICE_HELP, _check_options, _registry
from ganzoo.errors import GanzooError

HELP = "draw images from a trained run"


def add_arguments(sample) -> None:
    sample.add_argument("source", metavar="RUN_DIR_OR_CHECKPOINT")
    sample.add_argument("-n", type=int, default=64, help="number of images (default 64)")
    sample.add_argument("--out", required=True, metavar="FILE", help=".npz (uint8 array 'images') or .png (a grid)")
    sample.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    sample.add_argument("--label", type=int, help="class to sample, for conditional generators")
    sample.add_argument("--code", type=int, help="categorical latent code to fix, for generators that have one "
                                                 "(InfoGAN)")
    sample.add_argument("--truncation", type=float, metavar="PSI", help="truncation trick: redraw latent values "
                        "beyond +-PSI (generators with a standard normal latent)")
    sample.add_argument("--device", default="auto", help=DEVICE_HELP)


def cmd_sample(args) -> int:
    from ganzoo.output.sampling import (FORMATS, check_code, check_label, check_memory, dataset_plot, is_image, load_generator,
                                        sample_images, sample_raw, write_points, write_samples)

    if args.n < 1:
        raise GanzooError(f"-n must be at least 1, got {args.n}")
    if not args.out.endswith(FORMATS):
        raise GanzooError(f"--out must end in {' or '.join(FORMATS)}, got '{args.out}'")
    _check_options(args, "--device", "--seed")
    registry = _registry(args)
    generator, spec = load_generator(args.source, registry, args.device)
    check_memory(args.n, spec, args.out)
    check_label(generator, spec, args.label)
    check_code(generator, args.code)
    chosen = dict(seed=args.seed, label=args.label, code=args.code, truncation=args.truncation)
    if is_image(spec):
        write_samples(sample_images(generator, spec, args.n, **chosen), args.out)
    else:  # e.g. 2-D points: raw floats, or the dataset's own plot
        plot = dataset_plot(args.source, registry) if args.out.endswith(".png") else None
        write_points(sample_raw(generator, spec, args.n, **chosen), args.out, plot)
    print(args.out)
    return 0

"""`ganzoo sample`: draw images (or points) from a trained run."""

from __future__ import annotations

from ganzoo.commands.common import DEVICE_HELP, THREADS_HELP, _check_options, _use_threads, _registry
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
    sample.add_argument("--mh", type=int, metavar="K", help="Metropolis-Hastings sampling (MH-GAN): each image the "
                        "end of a chain of K generator samples judged by the run's calibrated discriminator")
    sample.add_argument("--mh-calibration", type=int, default=1000, metavar="N",
                        help="real images D is calibrated on for --mh (default 1000; from the run's dataset)")
    sample.add_argument("--device", default="auto", help=DEVICE_HELP)
    sample.add_argument("--threads", type=int, metavar="N", help=THREADS_HELP)


def cmd_sample(args) -> int:
    from ganzoo.output.sampling import (FORMATS, check_code, check_label, check_memory, dataset_plot, is_image, load_generator,
                                        sample_images, sample_raw, write_points, write_samples)

    if args.n < 1:
        raise GanzooError(f"-n must be at least 1, got {args.n}")
    if not args.out.endswith(FORMATS):
        raise GanzooError(f"--out must end in {' or '.join(FORMATS)}, got '{args.out}'")
    _check_options(args, "--device", "--seed")
    _use_threads(args)
    registry = _registry(args)
    if args.mh is not None:
        _check_mh(args)
    generator, spec = load_generator(args.source, registry, args.device)
    check_memory(args.n, spec, args.out)
    check_label(generator, spec, args.label)
    check_code(generator, args.code)
    chosen = dict(seed=args.seed, label=args.label, code=args.code, truncation=args.truncation)
    if args.mh is not None:
        write_samples(mh_sample(args, registry, generator, spec), args.out)
    elif is_image(spec):
        write_samples(sample_images(generator, spec, args.n, **chosen), args.out)
    else:  # e.g. 2-D points: raw floats, or the dataset's own plot
        plot = dataset_plot(args.source, registry) if args.out.endswith(".png") else None
        write_points(sample_raw(generator, spec, args.n, **chosen), args.out, plot)
    print(args.out)
    return 0


def _check_mh(args) -> None:
    if args.mh < 2:
        raise GanzooError(f"--mh must be at least 2 (proposals per chain), got {args.mh}")
    if args.mh_calibration < 10:
        raise GanzooError(f"--mh-calibration must be at least 10 images, got {args.mh_calibration}")
    if args.code is not None or args.truncation is not None:
        raise GanzooError("--mh draws plain latents: leave out --code and --truncation")


def mh_sample(args, registry, generator, spec):
    """``args.n`` images by MH-GAN: the run's discriminator, calibrated on its dataset's images."""
    import torch

    from ganzoo.assembly import build_models, load_data
    from ganzoo.output.mh import calibrate, mh_images
    from ganzoo.rows import take
    from ganzoo.output.sampling import is_image
    from ganzoo.training import checkpoint

    if not is_image(spec):
        raise GanzooError("--mh samples images; this run's data are not pictures")
    state = checkpoint.load_checkpoint(args.source)
    recipe = checkpoint.recipe_of(state, registry)
    if "discriminator" not in state.get("models", {}):
        raise GanzooError(f"--mh needs the run's discriminator; '{args.source}' has none (algorithm "
                          f"'{recipe.config.algorithm.name}')")
    device = next(generator.parameters()).device
    (discriminator,) = build_models(recipe, spec, device, roles=["discriminator"]).values()
    discriminator.load_state_dict(state["models"]["discriminator"])
    discriminator.eval()
    data = load_data(recipe)
    data = data.held_out or data
    count = min(args.mh_calibration, len(data.images))
    order = torch.randperm(len(data.images), generator=torch.Generator().manual_seed(args.seed))[:count]
    labels = data.labels[order] if data.labels is not None else None
    scale, _ = calibrate(generator, discriminator, spec, take(data.images, order), labels, args.seed)
    return mh_images(generator, discriminator, spec, args.n, args.mh, scale, args.seed, args.label)

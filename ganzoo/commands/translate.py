"""`ganzoo translate`: translate pictures with a trained translation run."""

from __future__ import annotations

from ganzoo.commands.common import DEVICE_HELP, THREADS_HELP, _check_options, _use_threads, _registry

HELP = ("translate pictures with a trained "
        "translation run (pix2pix, srgan...)")


def add_arguments(translate) -> None:
    translate.add_argument("run_dir", metavar="RUN_DIR_OR_CHECKPOINT")
    translate.add_argument("input", metavar="INPUT", help="a picture (.png, .jpg), a folder of pictures, or an .npz "
                           "whose uint8 'images' array is N x H x W or N x H x W x 3")
    translate.add_argument("--out", required=True, metavar="OUTPUT", help="the same kind as INPUT: a picture, a new "
                           "folder (same file names, PNG) or an .npz")
    translate.add_argument("--direction", choices=("a2b", "b2a"), help="a2b (default) or b2a, for two-way models")
    translate.add_argument("--domain", metavar="NAME", help="the domain to translate into, for models that "
                           "take one (stargan); default: the run's target domain")
    translate.add_argument("--reference", metavar="PICTURE", help="take the style of this picture of the output "
                           "domain, for models that split content and style (munit); default: the style prior's mean")
    translate.add_argument("--no-ema", action="store_true", help="the trained weights, not their moving average")
    translate.add_argument("--device", default="auto", help=DEVICE_HELP)
    translate.add_argument("--threads", type=int, metavar="N", help=THREADS_HELP)


def cmd_translate(args) -> int:
    from ganzoo.output.translate_files import translate_files

    _check_options(args, "--device")
    _use_threads(args)
    out = translate_files(args.run_dir, args.input, args.out, _registry(args), args.direction, args.device,
                          ema=not args.no_ema, domain=args.domain,
                          reference=args.reference)
    print(out)
    return 0

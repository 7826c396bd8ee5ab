"""`ganzoo pack`: a folder of images into uint8 shards to train from."""

from __future__ import annotations

HELP = "pack a folder of images into shards to train from"
DESCRIPTION = ("Decode a folder of PNG/JPEG images (subfolders: classes, as the "
               "image-folder dataset reads them) once, into uint8 .npy shards and a "
               "manifest; train from them with dataset.name=packed "
               "dataset.params.path=OUT.")


def add_arguments(pack) -> None:
    pack.add_argument("folder", help="the folder of images")
    pack.add_argument("--out", required=True, metavar="DIR", help="the packed dataset's folder (new, or empty)")
    pack.add_argument("--size", type=int, default=64, help="side of the square images (default 64)")
    pack.add_argument("--channels", type=int, default=3, help="3 (RGB, default) or 1 (grey)")
    pack.add_argument("--no-crop", dest="crop", action="store_false",
                      help="stretch each image to a square instead of centre-cropping it")
    pack.add_argument("--shard-images", type=int, default=10000, help="images per shard (default 10000)")
    pack.add_argument("--bad-images", default="stop", choices=("stop", "skip"),
                      help="an image that cannot be decoded: stop naming it (default), or skip it and count it")
    pack.add_argument("--workers", type=int, default=None, help="decoding threads (default: up to 4)")
    pack.add_argument("--quiet", action="store_true", help="no progress bar")


def cmd_pack(args) -> int:
    from ganzoo.storage.packing import pack_with_progress

    pack_with_progress(args.folder, args.out, quiet=args.quiet, size=args.size, channels=args.channels,
                       crop=args.crop, shard_images=args.shard_images, bad_images=args.bad_images,
                       workers=args.workers)
    print(args.out)
    return 0

"""Checkpoints: written atomically, the last K kept, checksummed, loaded with ``weights_only=True``.

Each checkpoint carries a checksum of its content (every tensor's bytes, dtype and shape,
and the plain data beside them): torch does not check its zip's CRCs, so a flipped bit
in a weight would otherwise load silently. A damaged newest checkpoint is passed over
for the one before it, with a warning.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import re
import warnings
from pathlib import Path
from typing import Any

import torch

from ganzoo.errors import ContractViolation, GanzooError, first_line
from ganzoo.output.files import write_atomic
from ganzoo.training.run_folder import CHECKPOINTS_FOLDER

FORMAT = "ganzoo-checkpoint"
VERSION = 2  # models, optimisers and EMAs by role, the algorithm's state, a content checksum
CHECKSUMMED = 2  # the first version that carries a checksum: from it on, one without is refused
CHECKSUM = "checksum"
#: what every checkpoint holds (version 1 upgraded), and the type it holds it as
REQUIRED = {"recipe": str, "data_spec": dict, "step": int, "models": dict}
FOLDER = CHECKPOINTS_FOLDER
_NAME = re.compile(r"^step-(\d+)\.pt$")


def checkpoint_path(run_dir: str | Path, step: int) -> Path:
    return Path(run_dir) / FOLDER / f"step-{step:09d}.pt"


def run_dir_of(path: str | Path) -> Path:
    """The run folder of the checkpoint file ``path``: the folder above ``checkpoints/``, else its own folder."""
    path = Path(path)
    return path.parent.parent if path.parent.name == FOLDER else path.parent


def list_checkpoints(run_dir: str | Path) -> list[Path]:
    """The run's checkpoints, oldest first."""
    folder = Path(run_dir) / FOLDER
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if _NAME.match(p.name)]
    return sorted(found, key=lambda p: int(_NAME.match(p.name).group(1)))


def remove_partial_writes(run_dir: str | Path) -> None:
    """Delete temporary files that a killed process left while writing a checkpoint."""
    folder = Path(run_dir) / FOLDER
    if folder.is_dir():
        for partial in folder.glob(".step-*.pt.*.tmp"):
            with contextlib.suppress(OSError):
                partial.unlink()


def save_checkpoint(run_dir: str | Path, state: dict[str, Any], keep: int) -> Path:
    """Write ``state`` as the checkpoint of ``state['step']``; keep the newest ``keep``."""
    path = checkpoint_path(run_dir, int(state["step"]))
    payload = {"format": FORMAT, "version": VERSION, **state}
    payload[CHECKSUM] = content_checksum(payload)
    recorder = _WriteErrors()
    try:
        write_atomic(path, lambda handle: recorder.save(payload, handle))
    except GanzooError as error:
        raise GanzooError(f"{error}; {_last_good(run_dir, path)}") from error
    for old in list_checkpoints(run_dir)[:-keep]:
        with contextlib.suppress(OSError):
            old.unlink()
    return path


class _WriteErrors:
    """torch.save, with the file's own error passed on: torch turns a failed write (a full disk)
    into a RuntimeError ("unexpected pos"), which would hide the OSError and its errno."""

    def __init__(self):
        self.error: OSError | None = None

    def save(self, payload: dict[str, Any], handle) -> None:
        try:
            torch.save(payload, _Recording(handle, self))
        except RuntimeError:
            if self.error is not None:
                raise self.error from None
            raise


class _Recording:
    def __init__(self, handle, errors: _WriteErrors):
        self.handle, self.errors = handle, errors

    def write(self, data) -> int:
        try:
            return self.handle.write(data)
        except OSError as error:
            self.errors.error = error
            raise

    def flush(self) -> None:
        self.handle.flush()


def _last_good(run_dir: str | Path, failed: Path) -> str:
    """What a user can still do after a failed checkpoint write."""
    kept = [p for p in list_checkpoints(run_dir) if p != failed]
    if not kept:
        return "no checkpoint of this run was written yet"
    return (f"the last good checkpoint, {kept[-1].name}, is intact: resume with "
            f"ganzoo run --resume {Path(run_dir)}")


def content_checksum(payload: dict[str, Any]) -> str:
    """A BLAKE2b digest of a checkpoint's content: its plain data and every tensor's dtype, shape and bytes."""
    digest = hashlib.blake2b(digest_size=32)
    _feed(digest, {key: value for key, value in payload.items() if key not in (CHECKSUM, "path")})
    return digest.hexdigest()


def _feed(digest, value: Any) -> None:
    if isinstance(value, dict):
        digest.update(b"{%d" % len(value))
        for key in sorted(value, key=repr):
            _feed(digest, key)
            _feed(digest, value[key])
    elif isinstance(value, (list, tuple)):
        digest.update(b"[%d" % len(value))
        for item in value:
            _feed(digest, item)
    elif isinstance(value, torch.Tensor):
        tensor = value.detach().cpu().contiguous()
        digest.update(f"T{tensor.dtype}{tuple(tensor.shape)}".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy())
    elif isinstance(value, float):
        digest.update(b"F" + value.hex().encode())
    elif isinstance(value, (str, bytes)):
        raw = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
        digest.update(b"S" if isinstance(value, str) else b"B")
        digest.update(b"%d:" % len(raw) + raw)
    else:  # None, bool, int, and anything else torch's weights-only loader gives back
        digest.update(f"{type(value).__name__}:{value!r}".encode())


class RefusedCheckpoint(GanzooError):
    """A checkpoint that holds more than tensors and plain data: it is never loaded, nor passed over."""


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint file, or the newest loadable checkpoint of a run directory.

    In a run directory, a damaged newest checkpoint is passed over for the one before it, with a
    one-line warning; the state's ``passed_over`` lists the checkpoints that were.
    """
    path = Path(path)
    if not path.is_dir():
        if not path.is_file():
            raise GanzooError(f"checkpoint '{path}' not found; give a run directory or a .pt file")
        return _load_file(path, map_location)
    found = list_checkpoints(path)
    if not found:
        raise GanzooError(f"{path} holds no checkpoint (expected {FOLDER}/step-*.pt); is it a ganzoo run directory?")
    failures: list[GanzooError] = []
    for candidate in reversed(found):
        try:
            state = _load_file(candidate, map_location)
        except RefusedCheckpoint:
            raise
        except GanzooError as error:
            failures.append(error)
            continue
        if failures:
            warnings.warn(f"{failures[0]}; using the one before it, {candidate.name} (step {state['step']})")
        state["passed_over"] = [str(p) for p in found[len(found) - len(failures):]]
        return state
    more = f"; the {len(found) - 1} older checkpoints are damaged too" if len(found) > 1 else ""
    raise GanzooError(f"{failures[0]}{more}")


def _load_file(path: Path, map_location) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():  # torch warns about unusual pickles it then refuses anyway
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        if "unsupported global" not in str(error).lower():  # not a refused import: just bad bytes
            raise _unreadable(path, f"{_unpickling_problem(error)} in its pickled data") from error
        raise RefusedCheckpoint(
            f"refused to load checkpoint '{path}': it holds more than tensors and plain data "
            f"({_refused_global(error)}), "
            "and loading it could run code; use checkpoints written by ganzoo"
        ) from error
    except EOFError:
        raise _unreadable(path, "the file is empty") from None
    except Exception as error:  # torch's own texts suggest weights_only=False, which is never the remedy
        raise _unreadable(path, _damage(error)) from error
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise GanzooError(f"'{path}' is not a ganzoo checkpoint")
    state = _upgrade(state)
    _check_content(path, state)
    state["path"] = str(path)
    return state


def _upgrade(state: dict[str, Any]) -> dict[str, Any]:
    """A version-1 checkpoint (written before algorithms were plugins) in today's layout."""
    if "models" in state or "generator" not in state:
        return state
    state["models"] = {role: state.pop(role) for role in ("generator", "discriminator") if role in state}
    if "generator_ema" in state:
        state["ema"] = {"generator": state.pop("generator_ema")}
    state.setdefault("sample_role", "generator")
    window = state.get("window")
    if isinstance(window, dict) and "d" in window:  # sums of d_loss, D(x), D(G(z)) and of g_loss
        d, g, d_count, g_count = window["d"], window["g"], window["d_count"], window["g_count"]
        state["window"] = {"names": ["d_loss", "g_loss", "d_real", "d_fake"],
                           "sums": torch.stack([d[0], g[0], d[1], d[2]]),
                           "counts": torch.tensor([d_count, g_count, d_count, d_count], dtype=torch.float32),
                           "skipped": window.get("skipped", 0), "start_step": window.get("start_step", 0)}
    return state


def recipe_of(state: dict[str, Any], registry, overrides=()):
    """The recipe a checkpoint was written by (with ``overrides``): the one way every command
    rebuilds a run from its checkpoint."""
    from ganzoo.recipe import recipe_from_text

    if not isinstance(state.get("recipe"), str):
        raise GanzooError(f"checkpoint '{state.get('path')}' holds no recipe; it was not written by `ganzoo run`")
    return recipe_from_text(state["recipe"], overrides, registry, source=state["path"])


def load_weights(model: torch.nn.Module, weights: Any, path: Any, who: str, mend: str, load=None) -> None:
    """``model.load_state_dict(weights)`` (or ``load()``, which loads them another way), or the one line
    of ``unfit``: ``who`` names the model (``generator 'mlp' (...)``), ``mend`` says what to do about
    a file that does not fit it."""
    from ganzoo.blame import Components

    named = Components()
    named.add(model, who)
    try:
        if load is not None:
            load()
            return
        if not isinstance(weights, dict) or not weights:
            raise GanzooError(f"checkpoint '{path}' holds no weights for the {who}: it is damaged or was not "
                              "written by ganzoo")
        model.load_state_dict(weights)
    except GanzooError:
        raise
    except Exception as error:  # noqa: BLE001 - a plugin's own load_state_dict may raise anything
        raise unfit(error, path, named, who, mend) from error


def unfit(error: BaseException, path: Any, components, fallback: str, mend: str) -> GanzooError:
    """The one line for ``error``, raised while restoring the state of checkpoint ``path``: a checkpoint
    that does not fit the models (torch's or ganzoo's code found it: keys or shapes that differ) says
    what differs and ``mend``; a plugin's ``load_state_dict`` that fails is named, component and plugin."""
    from ganzoo.blame import raised_by_host

    if isinstance(error, GanzooError) and not isinstance(error, ContractViolation):
        return error  # already one line that says what to do
    if not raised_by_host(error):
        return components.explain(error, fallback, f"while loading its state from checkpoint '{path}'")
    return GanzooError(f"'{path}' does not fit the {components.culprit(error, fallback)}: "
                       f"{_difference(error)}; {mend}")


def _difference(error: BaseException) -> str:
    """What torch's long load_state_dict error says, in a few words: missing, unexpected, mismatched keys."""
    if isinstance(error, KeyError):
        return f"it holds no {error}"
    lines = [line.strip() for line in str(error).strip().splitlines()[1:] if line.strip()]
    found = []
    for line in lines:
        head, _, keys = line.partition(":")
        if head.startswith(("Missing key", "Unexpected key")):
            names = [key.strip().strip('"') for key in keys.split(",") if key.strip().strip('".')]
            more = f" (+{len(names) - 3} more)" if len(names) > 3 else ""
            found.append(f"{head.split(' in ')[0].lower()} {', '.join(names[:3])}{more}")
        elif head.startswith("size mismatch"):
            sizes = re.findall(r"torch\.Size\((\[[^\]]*\])\)", line)
            name = head.removeprefix("size mismatch for ")
            found.append(f"{name} is {sizes[0]} there, {sizes[1]} in the model" if len(sizes) == 2 else line[:160])
    return "; ".join(found[:2]) or (lines[0][:200] if lines else first_line(error, 200))


def _unreadable(path: Path, why: str) -> GanzooError:
    return GanzooError(f"cannot load checkpoint '{path}': {why} (corrupt, truncated, or not a ganzoo checkpoint)")


def load_problem(error: BaseException) -> str:
    """What is wrong with a file ``torch.load(..., weights_only=True)`` refused, in words that never send
    the user to ``weights_only=False`` (torch's own advice, which is never the remedy)."""
    if isinstance(error, pickle.UnpicklingError):
        if "unsupported global" in str(error).lower():
            return (f"it holds more than tensors and plain data ({_refused_global(error)}), and loading it "
                    "could run code")
        return f"{_unpickling_problem(error)} in its pickled data"
    if isinstance(error, EOFError):
        return "the file is empty"
    return _damage(error)


def _damage(error: Exception) -> str:
    """What is wrong with a file torch cannot read, in words that do not send the user to unsafe options."""
    text = str(error)
    if "zip archive" in text or "central directory" in text:
        return "not a complete zip archive"
    if "legacy .tar format" in text:
        return "an old .tar-format file, not the zip archive ganzoo writes"
    return f"unreadable ({type(error).__name__})"


def _check_content(path: Path, state: dict[str, Any]) -> None:
    """Every part a checkpoint needs is there, matches its checksum, holds values in range, and its weights
    are finite. Only a version-1 checkpoint (written before checksums) is read without one, on purpose."""
    version = state.get("version")
    if type(version) is not int or not 1 <= version <= VERSION:
        raise GanzooError(f"checkpoint '{path}' is of format version {version!r}; this ganzoo reads versions 1 to "
                          f"{VERSION}: use the ganzoo that wrote it, or a checkpoint written by this one")
    for key, kind in REQUIRED.items():
        if not isinstance(state.get(key), kind):
            raise GanzooError(f"checkpoint '{path}' lacks '{key}' (or holds it as the wrong type): "
                              "it is damaged or was not written by ganzoo")
    if version >= CHECKSUMMED and CHECKSUM not in state:
        raise GanzooError(f"checkpoint '{path}' is damaged: it has no checksum, which every version-{version} "
                          "checkpoint carries (it was altered after ganzoo wrote it); use another checkpoint of the run")
    if CHECKSUM in state and state[CHECKSUM] != content_checksum(state):
        raise GanzooError(f"checkpoint '{path}' is damaged: its content does not match its checksum")
    _check_data_spec(path, state["data_spec"])
    _check_counts(path, state)
    models = dict(state["models"])
    for role, ema in (state.get("ema") or {}).items():
        if isinstance(ema, dict) and isinstance(ema.get("model"), dict):
            models[f"{role} (EMA)"] = ema["model"]
    for who, weights in models.items():
        if not isinstance(weights, dict):
            raise GanzooError(f"checkpoint '{path}' is damaged: the weights of '{who}' are not a state dict")
        for name, tensor in weights.items():
            if isinstance(tensor, torch.Tensor) and tensor.is_floating_point() and not torch.isfinite(tensor).all():
                raise GanzooError(f"checkpoint '{path}' is damaged: {who}.{name} holds NaN or infinite values "
                                  "(ganzoo never writes a checkpoint of non-finite weights)")


def _check_counts(path: Path, state: dict[str, Any]) -> None:
    """The step and what counts along with it are in range and agree: a checksum only says the file is as
    written, and a checkpoint rewritten with a fresh checksum must still not resume at step -3."""
    step = state["step"]
    if isinstance(step, bool) or step < 0:
        raise GanzooError(f"checkpoint '{path}' is damaged: its step is {step!r}, not a count of steps done "
                          "(0 or more); use another checkpoint of the run")
    named = _NAME.match(path.name)
    if named and int(named.group(1)) != step:
        raise GanzooError(f"checkpoint '{path}' is damaged: it holds step {step}, its name says step "
                          f"{int(named.group(1))}; use another checkpoint of the run")
    window = state.get("window")
    start = window.get("start_step", 0) if isinstance(window, dict) else 0
    if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start <= step:
        raise GanzooError(f"checkpoint '{path}' is damaged: its metrics window opens at step {start!r}, which is "
                          f"not between 0 and its step {step}; use another checkpoint of the run")
    for role, schedule in (state.get("schedules") or {}).items():
        done = schedule.get("last_epoch") if isinstance(schedule, dict) else None
        if done is not None and done != step:
            raise GanzooError(f"checkpoint '{path}' is damaged: the learning-rate schedule of '{role}' has taken "
                              f"{done!r} steps, the run {step}; use another checkpoint of the run")


def check_progress(state: dict[str, Any], steps_per_epoch: int, batch_size: int) -> None:
    """A checkpoint's step lies within the training its own recipe asks for (``steps_per_epoch`` of
    ``batch_size`` images): a step past its end is damage, not a run to continue."""
    from omegaconf import OmegaConf

    try:
        train = OmegaConf.create(state["recipe"]).train
        epochs, own_batch = int(train.epochs), int(train.batch_size)
    except Exception:  # noqa: BLE001 - recipe_of has read it already; a recipe without these is checked there
        return
    total = epochs * steps_per_epoch
    if own_batch == batch_size and state["step"] > total:
        raise GanzooError(f"checkpoint '{state.get('path')}' is damaged: it holds step {state['step']}, past the "
                          f"{total} steps its recipe trains ({epochs} epochs of {steps_per_epoch}); "
                          "use another checkpoint of the run")


def _check_data_spec(path: Path, record: dict) -> None:
    """The data spec (what the models were built for) reads as one: every command builds models from it."""
    from ganzoo.data import DataSpec

    try:
        DataSpec.from_dict(record)
    except ValueError as error:
        raise GanzooError(f"checkpoint '{path}' is damaged: its data spec is not one ganzoo writes ({error})") from error


def set_aside(paths: list[str]) -> None:
    """Rename damaged checkpoints to ``*.damaged``: kept for a look, never loaded or rotated again."""
    for path in paths:
        with contextlib.suppress(OSError):
            Path(path).rename(f"{path}.damaged")


def _unpickling_problem(error: BaseException) -> str:
    """The useful line of an unpickling error (torch's start with a long generic preamble)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    useful = [line for line in lines if line.startswith("Unsupported") or "load key" in line]
    return useful[0][:200] if useful else "unreadable data"


def _refused_global(error: BaseException) -> str:
    """What torch's weights-only unpickler refused, e.g. 'Unsupported global: GLOBAL posix.system'."""
    named = re.search(r"Unsupported global: GLOBAL (\S+)", str(error))
    if named:  # torch goes on with advice to allow it, which is never the remedy
        return f"Unsupported global: GLOBAL {named.group(1)}"
    for line in str(error).splitlines():
        if "Unsupported" in line or "global" in line.lower():
            return line.strip().removeprefix("WeightsUnpickler error: ")[:150]
    return "unpickling refused"

"""Run a sweep: each member of the grid is a fresh `ganzoo run` process in its own folder.

One after another by default, ``jobs`` at a time otherwise (each then gets an equal share of the
CPU cores as ``train.threads``, unless the overrides set it). A run that fails is reported and the
others go on. Ctrl-C (or SIGTERM) stops the runs in progress the way `ganzoo run` stops (a
checkpoint each, resumable), starts no more, and leaves the manifest saying which run stopped where.
``ganzoo run --resume SWEEP_DIR``, or the same sweep command again with the same ``--out``, runs exactly
the members that did not finish: each stopped one from its checkpoint, the others from the start; and
``ganzoo run --resume SWEEP_DIR/run-NNN`` works for any member at any moment (``member_recipe``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

from ganzoo.errors import GanzooError
from ganzoo.relaunch import ganzoo_command
from ganzoo.training.threads import available_cores
from ganzoo.sweep.grid import expand_grid, swept_keys
from ganzoo.sweep.manifest import (FAILED, FINISHED, INTERRUPTED, LOG_FILE, MANIFEST_FILE, PENDING, RUNNING, Member,
                                   Sweep, is_sweep, read_sweep)
from ganzoo.training.run_folder import RECIPE_FILE

EXIT_SOME_FAILED = 1
EXIT_INTERRUPTED = 130
POLL_SECONDS = 0.1


def default_sweep_dir(recipe_name: str) -> Path:
    return Path("runs") / f"{recipe_name}-sweep-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def plan_sweep(recipe: str, overrides: Sequence[str], jobs: Optional[int], check: Callable[[List[str]], None]) -> Sweep:
    """The sweep's members, each checked (``check`` loads its recipe) before any run starts; ``jobs``
    runs at a time (None: one)."""
    jobs = 1 if jobs is None else jobs
    if jobs < 1:
        raise GanzooError(f"--jobs must be at least 1 (the runs going at a time), got {jobs}; leave it out for one")
    grid = expand_grid(overrides)
    jobs = min(jobs, len(grid))
    sets_threads = any(item.partition("=")[0] == "train.threads" for item in overrides)
    added = [f"train.threads={max(1, available_cores() // jobs)}"] if jobs > 1 and not sets_threads else []
    members = [Member(name=f"run-{index:03d}", overrides=choices, added=list(added)) for index, choices in enumerate(grid)]
    for member in members:
        try:
            check(member.overrides + member.added)
        except GanzooError as error:
            raise GanzooError(f"sweep run {member.name} ({' '.join(member.overrides)}): {error}") from error
    return Sweep(recipe=recipe, grid=list(overrides), jobs=jobs, members=members)


def prepare_folder(folder: Path, sweep: Optional[Sweep] = None) -> Sweep:
    """The sweep to run in ``folder``: ``sweep``, in a new or empty folder; or, when the folder holds the
    same sweep (its recipe and grid) already, that one, to finish the runs that did not finish."""
    if is_sweep(folder):
        held = read_sweep(folder)
        if sweep is not None and (held.recipe, held.grid) == (sweep.recipe, sweep.grid):
            held.jobs = sweep.jobs
            return held
        raise GanzooError(f"{folder} already holds another sweep ({MANIFEST_FILE}: {held.recipe} -m "
                          f"{' '.join(held.grid)}); finish it with ganzoo run --resume {folder}, or choose another --out")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise GanzooError(f"{folder} exists and is not an empty folder; choose another --out for the sweep")
    folder.mkdir(parents=True, exist_ok=True)
    return sweep


def resume_sweep(folder: Path, flags: Sequence[str] = (), say: Callable[[str], None] = print) -> int:
    """``ganzoo run --resume SWEEP_DIR``: run again exactly the members that did not finish (stopped, failed,
    never started, or left running by a sweep that was killed); each stopped one goes on from its checkpoint."""
    return run_sweep(read_sweep(folder), folder, flags, say)


def member_recipe(run_dir: Path, registry, overrides: Sequence[str] = ()):
    """The recipe of the sweep run whose folder is ``run_dir`` (with ``overrides``), as the sweep starts it;
    None when ``run_dir`` is not a run of a sweep. ``ganzoo run --resume`` of a sweep's run that never
    started, or was killed before it wrote its recipe.yaml, starts it with this."""
    from ganzoo.recipe import load_recipe

    found = member_of(run_dir)
    if found is None:
        return None
    sweep, member = found
    return load_recipe(sweep.recipe, [*member.overrides, *member.added, *overrides], registry)


def member_of(run_dir: Path) -> Optional[Tuple[Sweep, Member]]:
    """The sweep and member whose folder ``run_dir`` is, when its sweep's manifest is beside it; else None."""
    run_dir = Path(run_dir)
    if not is_sweep(run_dir.parent):
        return None
    sweep = read_sweep(run_dir.parent)
    found = [member for member in sweep.members if member.name == run_dir.name]
    return (sweep, found[0]) if found else None


class _Stop(Exception):
    """SIGTERM, handled as Ctrl-C is."""


def run_sweep(sweep: Sweep, folder: Path, flags: Sequence[str] = (), say: Callable[[str], None] = print) -> int:
    """Run every member; the exit code is 0 when all finished, 1 when any failed, 130 when stopped."""
    waiting = [member for member in sweep.members if member.status != FINISHED]
    done = len(sweep.members) - len(waiting)
    for member in waiting:  # a run of a sweep stopped or killed before goes on from where it is
        member.status, member.exit_code, member.wall_s, member.error = PENDING, None, None, None
    sweep.write(folder)
    threads = sweep.members[0].added[0].partition("=")[2] if sweep.members[0].added else ""
    threads = f", {threads} thread{'s' * (threads != '1')} each" if threads else ""
    again = f" ({done} finished before; {len(waiting)} to finish)" if done else ""
    say(f"sweep: {len(sweep.members)} runs of {sweep.recipe} in {folder}{again}, "
        f"{'one at a time' if sweep.jobs == 1 else f'{sweep.jobs} at a time{threads}'}")
    running: dict[Member, tuple[subprocess.Popen, float, object]] = {}
    swept = set(swept_keys(sweep.grid))

    def on_term(signum, frame):
        raise _Stop

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        while waiting or running:
            while waiting and len(running) < sweep.jobs:
                member = waiting.pop(0)
                running[member] = _start(member, sweep.recipe, folder, flags)
                member.status = RUNNING
                sweep.write(folder)
            time.sleep(POLL_SECONDS)
            for member, (process, started, log) in list(running.items()):
                if process.poll() is None:
                    continue
                del running[member]
                log.close()
                done += 1
                _finish(member, process.returncode, time.perf_counter() - started, folder)
                sweep.write(folder)
                say(_line(member, done, len(sweep.members), folder, swept))
    except (KeyboardInterrupt, _Stop):
        _stop(running, folder, sweep, say)
        return EXIT_INTERRUPTED
    except BaseException:  # a fault of the sweep itself: no run is left behind, orphaned
        for process, _, _ in running.values():
            process.kill()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    failed = [member for member in sweep.members if member.status in (FAILED, INTERRUPTED)]
    say(f"sweep: {len(sweep.members) - len(failed)} of {len(sweep.members)} runs finished"
        + (f"; failed: {', '.join(member.name for member in failed)}" if failed else "")
        + f". Compare them with: ganzoo compare {folder}")
    return EXIT_SOME_FAILED if failed else 0


def _start(member: Member, recipe: str, folder: Path, flags: Sequence[str]):
    run_dir = folder / member.name
    run_dir.mkdir(exist_ok=True)  # there already when a stopped sweep goes on
    if (run_dir / RECIPE_FILE).is_file():  # it ran before: on from its checkpoint (or from step 0 without one)
        command = ganzoo_command("run", "--resume", str(run_dir), "--quiet", *flags)
    else:  # never started, or killed before it wrote its recipe: a fresh start
        command = ganzoo_command("run", recipe, *member.overrides, *member.added, "--out", str(run_dir), "--quiet",
                                 *flags)
    env = dict(os.environ)
    if member.added:  # torch's and OpenMP's pools the same size as train.threads
        env["OMP_NUM_THREADS"] = member.added[0].partition("=")[2]
    log = open(run_dir / LOG_FILE, "a", encoding="utf-8")  # a run that goes on adds to its log
    # Its own session: a Ctrl-C at the terminal reaches the sweep, which passes one SIGINT on to each run.
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                               start_new_session=True)
    return process, time.perf_counter(), log


def _finish(member: Member, code: int, wall_s: float, folder: Path) -> None:
    member.exit_code, member.wall_s = code, round(wall_s, 2)
    member.status = FINISHED if code == 0 else INTERRUPTED if code == EXIT_INTERRUPTED else FAILED
    if code != 0:
        member.error = _last_error(folder / member.name / LOG_FILE)


def _last_error(log: Path) -> Optional[str]:
    try:
        lines = [line.strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    except OSError:
        return None
    errors = [line for line in lines if line.startswith("ganzoo: error:")]
    return (errors or lines or [None])[-1]


def _line(member: Member, done: int, total: int, folder: Path, swept: set) -> str:
    choices = " ".join(item for item in member.overrides if item.partition("=")[0] in swept)
    head = f"[{done}/{total}] {member.name} {member.status} in {member.wall_s:.1f} s" + (f": {choices}" if choices else "")
    if member.status in (FAILED, INTERRUPTED):
        head += f"\n  exit code {member.exit_code}: {member.error or 'no output'} (log: {folder / member.name / LOG_FILE})"
    return head


def _stop(running: dict, folder: Path, sweep: Sweep, say: Callable[[str], None]) -> None:
    """Pass the stop on to the runs in progress and wait for their checkpoints (a second Ctrl-C: at once)."""
    say(f"sweep: stopping {len(running)} run(s) in progress; a second Ctrl-C stops them at once")
    for process, _, _ in running.values():
        _signal(process, signal.SIGINT)
    pending = dict(running)
    while pending:
        try:
            for member, (process, started, log) in list(pending.items()):
                if process.poll() is not None:
                    del pending[member]
                    log.close()
                    _finish(member, process.returncode, time.perf_counter() - started, folder)
            time.sleep(POLL_SECONDS)
        except (KeyboardInterrupt, _Stop):
            for process, _, _ in pending.values():
                _signal(process, signal.SIGINT)  # the run's second Ctrl-C: it stops at once
    sweep.write(folder)
    for member in sweep.members:
        if member.status == INTERRUPTED:
            say(f"  {member.name} stopped; resume it with: ganzoo run --resume {folder / member.name}")
    left = [member.name for member in sweep.members if member.status not in (FINISHED, FAILED, INTERRUPTED)]
    if left:
        say(f"  not started: {', '.join(left)}")
    say(f"  finish the sweep (exactly the runs that did not finish) with: ganzoo run --resume {folder}")


def _signal(process: subprocess.Popen, sig: int) -> None:
    try:
        process.send_signal(sig)
    except ProcessLookupError:
        pass

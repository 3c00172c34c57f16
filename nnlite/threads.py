"""How many threads the BLAS (NumPy's matrix multiply) uses while nnlite trains.

On a quiet machine every core helps a large matrix multiply. When other programs keep cores busy
(a second training, a browser beside Jupyter, CI), BLAS threads that wait for each other on a
shared core make an epoch several times slower; one thread per free core keeps it near what the
free cores can do. So, during ``fit``:

    threads = max(1, min(cores, round(cores - others))),
    others = (CPU time all programs used - CPU time nnlite used) / wall time, over the last epoch,

revisited after every epoch. The first epoch starts from a glance at the run queue: the threads of other programs
running now (Linux's procs_running less this process's running threads, five looks a millisecond apart), so a
fit(..., epochs=1) called in a loop beside a busy program is not run on every core. Linux's /proc/stat gives the
machine's CPU time, elsewhere the 1-minute load average less nnlite's own threads stands in; "cores" are the
physical cores the process may run on (hyperthreads of one core count once), capped by a container's CPU quota
(cgroup v2 cpu.max, or v1 cpu.cfs_quota_us). Measured on 2 cores
with one competing busy process, a 784-256-128-10 epoch took 4.1x its quiet time with 2 BLAS
threads and 1.7x with 1.

Fewer threads than free cores can be faster still: on 16 cores a plain NumPy training loop ran an epoch of the
784-256-128-10 network in 0.49 s on 8 BLAS threads against 0.72 s on 16 (issue 22), as the products are small for
16 threads and the other work reads data the product left in other cores' caches. So each fit tries half the
threads (see ``Trial``) on a few blocks of its first batches, keeps them where they are faster, and then tries half
of those; the count it settles on is remembered for the model's next fit from the same start.

The choice is yours to override: ``NNLITE_THREADS=<n>`` fixes the count, ``NNLITE_THREADS=off`` (or
setting OPENBLAS_NUM_THREADS, OMP_NUM_THREADS or MKL_NUM_THREADS yourself) leaves the BLAS alone.
It needs threadpoolctl (``pip install nnlite-keras[speed]``); without it nothing changes.

The count is the process's, not a fit's: when fits run at once in several threads, the BLAS gets the
smallest count any of them wants, and the count from before the first of them began comes back when
the last one ends, whatever order they end in.
"""

from __future__ import annotations

import math
import os
import threading
import time
from typing import Any

USER_SETTINGS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


CGROUP_V2 = "/sys/fs/cgroup/cpu.max"  # "<quota> <period>" in microseconds, or "max <period>"
CGROUP_V1 = ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us")  # quota -1: none


def _quota() -> float | None:
    """The cores' worth of CPU time a container's quota allows (quota / period), or None without one."""
    try:
        with open(CGROUP_V2) as f:
            quota, period = f.read().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        with open(CGROUP_V1[0]) as f, open(CGROUP_V1[1]) as g:
            quota, period = int(f.read()), int(g.read())
        return None if quota <= 0 or period <= 0 else quota / period
    except (OSError, ValueError):
        return None


CPU_TOPOLOGY = "/sys/devices/system/cpu/cpu{}/topology"  # core_id and physical_package_id of one logical CPU


def _physical_cores(cpus: set[int]) -> int:
    """The physical cores under ``cpus`` (logical CPUs): two hyperthreads of one core share its vector units, so
    a matrix multiply gains little from the second and its threads slow the first; MKL and PyTorch likewise
    start one thread per physical core. Where the topology cannot be read, every logical CPU counts as a core."""
    seen = set()
    for cpu in cpus:
        try:
            with open(f"{CPU_TOPOLOGY.format(cpu)}/core_id") as f, \
                    open(f"{CPU_TOPOLOGY.format(cpu)}/physical_package_id") as g:
                seen.add((int(g.read()), int(f.read())))
        except (OSError, ValueError):
            return len(cpus)
    return max(1, len(seen))


def _cores() -> int:
    """The physical cores this process may run on, capped by the container's CPU quota (at least 1)."""
    try:
        cores = _physical_cores(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    quota = _quota()
    return max(1, min(cores, int(quota))) if quota else cores


def _running_others(looks: int = 5) -> float | None:
    """Threads of other programs running now: /proc/stat's procs_running less this process's threads in state R,
    averaged over ``looks`` looks a millisecond apart (None where /proc is missing)."""
    seen = []
    for look in range(looks):
        if look:
            time.sleep(0.001)
        try:
            with open("/proc/stat") as f:
                running = next(int(line.split()[1]) for line in f if line.startswith("procs_running"))
            own = 0
            for task in os.listdir("/proc/self/task"):
                try:
                    with open(f"/proc/self/task/{task}/stat") as f:
                        own += f.read().rsplit(")", 1)[1].split()[0] == "R"
                except OSError:  # a thread that ended meanwhile
                    continue
        except (OSError, StopIteration, ValueError, IndexError):
            return None
        seen.append(max(0, running - own))
    return sum(seen) / len(seen)


def _machine_busy() -> float | None:
    """Seconds of CPU time every program has used since boot (None where /proc/stat is missing)."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_busy() -> float:
    times = os.times()
    return times.user + times.system


def _clock() -> tuple[float | None, float, float]:
    return _machine_busy(), _own_busy(), time.perf_counter()


# below this many multiply-adds per batch in the largest matrix product, the BLAS runs on one thread anyway
WORTH_IT = 1_000_000


# a trial of half the threads times blocks of at least this many batches and seconds
BLOCK_BATCHES = 4
BLOCK_SECONDS = 0.02
FASTER = 0.97  # half the threads win when their quicker block took under 97% of the time a batch of all of them
SLOWER = 1.10  # and lose at once after one block that took over 110% of the block before it


class Trial:
    """Does a batch train faster on half the BLAS threads? Blocks of batches on n and n/2 threads in turn
    (n, n/2, n, n/2, after a first block on n that warms up and is not counted): n/2 wins when its quicker block
    took under FASTER of n's quicker one (a block slowed by another program's burst does not decide), and is then
    tried against n/4, and so on down to one thread. A block on n/2 slower than SLOWER times the block on n before
    it ends the trial at once, as the first fit on 2 cores measured 1 thread 14% (M) and 70% (L) slower a batch.

    Args:
        start: the count n to start from.

    Example:
        >>> from nnlite.threads import Trial
        >>> trial = Trial(8)
        >>> [trial.record(t) for t in (2.0, 1.0, 0.6, 1.0, 0.6)]  # seconds a batch: warm-up, 8, 4, 8, 4
        [8, 4, 8, 4, 4]
        >>> [trial.record(t) for t in (0.6, 0.9)]  # 4 again, then 2 threads: 50% slower, 4 it is
        [2, None]
        >>> trial.best
        4
    """

    def __init__(self, start: int) -> None:
        self.best = start
        self._versus(start, warm_up=True)

    def _versus(self, n: int, warm_up: bool = False) -> None:
        """Blocks on n and n/2 threads next."""
        self.pair = (n, n // 2)
        self.queue = [n] * warm_up + [n, n // 2, n, n // 2]
        self.warming = warm_up
        self.seconds = {n: math.inf, n // 2: math.inf}  # per batch, in the quickest of the blocks
        self.latest = 0.0  # per batch in the latest block on n

    @property
    def count(self) -> int | None:
        """The thread count of the next block, or None once settled (on ``best``)."""
        return self.queue[0] if self.queue else None

    def record(self, per_batch: float) -> int | None:
        """The block on ``count`` threads took ``per_batch`` seconds a batch; returns the next block's count,
        or None once settled.

        Args:
            per_batch: the block's seconds divided by its batches.
        """
        count = self.queue.pop(0)
        if self.warming:
            self.warming = False
            return self.count
        n, half = self.pair
        self.seconds[count] = min(self.seconds[count], per_batch)
        if count == n:
            self.latest = per_batch
        elif per_batch > SLOWER * self.latest:  # clearly slower: n it is
            self.queue = []
            return None
        if not self.queue and self.seconds[half] < FASTER * self.seconds[n]:
            self.best = half
            if half >= 2:
                self._versus(half)
        return self.count


class _Process:
    """The BLAS settings every running fit shares: what each wants, and the limiter holding the original."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wanted: dict[int, int] = {}  # id(BlasThreads) -> the count it wants
        self.original: Any = None  # threadpoolctl's limiter made by the first fit; it restores the original

    def want(self, fit: BlasThreads, count: int) -> None:
        with self.lock:
            self.wanted[id(fit)] = count
            limiter = fit.controller.limit(limits=min(self.wanted.values()), user_api="blas")
            if self.original is None:
                self.original = limiter

    def release(self, fit: BlasThreads) -> None:
        with self.lock:
            if self.wanted.pop(id(fit), None) is None:
                return
            if self.wanted:
                fit.controller.limit(limits=min(self.wanted.values()), user_api="blas")
            elif self.original is not None:
                self.original.restore_original_limits()
                self.original = None


_PROCESS = _Process()


class BlasThreads:
    """The BLAS thread count during one fit: chosen at the start, tried at half (``Trial``) over the first
    batches, revisited after each epoch, restored at the end. A no-op when the user fixed the count, or
    threadpoolctl is not installed.

    Args:
        settled: free cores -> the count a trial settled on from there, kept by the caller between fits (a model
            keeps one per batch size); trials this fit settles are added to it.
    """

    def __init__(self, settled: dict[int, int] | None = None) -> None:
        self.cores = _cores()
        self.fixed: int | None = None
        self.active = False
        self.threads = 0
        self.controller: Any = None
        self.settled = {} if settled is None else settled  # free cores -> the count a trial settled on from there
        self.free = 0  # the free cores the count was chosen for
        self.trial: Trial | None = None
        self.block_start, self.block_batches = 0.0, 0
        setting = os.environ.get("NNLITE_THREADS", "auto").strip().lower()
        if setting in ("off", "none", "") or any(os.environ.get(k) for k in USER_SETTINGS):
            return
        if setting != "auto":
            if not setting.isdigit() or int(setting) < 1:
                raise ValueError(f"NNLITE_THREADS must be 'auto', 'off' or a positive integer; got {setting!r}.")
            self.fixed = int(setting)
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            return
        self.controller = ThreadpoolController()
        self.active = any(p["user_api"] == "blas" for p in self.controller.info())

    def __enter__(self) -> BlasThreads:
        if self.active:
            if self.fixed:
                self._set(self.fixed)
            else:  # before the first batch: one thread per core the programs running now leave free
                others = _running_others()
                self._start(max(1, min(self.cores, round(self.cores - (others or 0.0)))))
            self._since = _clock()
        return self

    def _start(self, free: int) -> None:
        """Run on ``free`` threads, or on the count a trial from there settled on, or try half of them."""
        self.free = free
        self.trial = Trial(free) if free >= 2 and free not in self.settled else None
        self._set(self.settled.get(free, free))
        self._new_block()

    def _new_block(self) -> None:
        self.block_start, self.block_batches = time.perf_counter(), 0

    def batch_done(self) -> None:
        """After each training batch: a trial's block ends once it has BLOCK_BATCHES batches and BLOCK_SECONDS
        seconds, and the next runs on the count the trial asks for."""
        if self.trial is None:
            return
        self.block_batches += 1
        seconds = time.perf_counter() - self.block_start
        if self.block_batches < BLOCK_BATCHES or seconds < BLOCK_SECONDS:
            return
        count = self.trial.record(seconds / self.block_batches)
        if count is None:  # settled
            count = self.settled[self.free] = self.trial.best
            self.trial = None
        self._set(count)
        self._new_block()

    def others(self) -> float:
        """Cores other programs kept busy since the last look (see the module)."""
        (machine0, own0, wall0), (machine1, own1, wall1) = self._since, _clock()
        self._since = (machine1, own1, wall1)
        if machine0 is None or machine1 is None:
            try:
                return max(0.0, os.getloadavg()[0] - self.threads)
            except (AttributeError, OSError):  # no load average either (Windows)
                return 0.0
        wall = max(wall1 - wall0, 1e-9)
        return max(0.0, ((machine1 - machine0) - (own1 - own0)) / wall)

    def adjust(self) -> None:
        """After an epoch: one thread per core the other programs left free (judged over at least a
        quarter of a second, as the machine counts CPU time in hundredths), tried at half again when that
        number changed."""
        if self.active and self.fixed is None and time.perf_counter() - self._since[2] >= 0.25:
            free = max(1, min(self.cores, round(self.cores - self.others())))
            if free != self.free:
                self._start(free)
        if self.trial is not None:  # the time between epochs (validation, callbacks) is no batch's
            self._new_block()

    def _set(self, wanted: int) -> None:
        if wanted != self.threads:
            _PROCESS.want(self, wanted)
            self.threads = wanted

    def __exit__(self, *exc: Any) -> None:
        if self.threads:
            _PROCESS.release(self)
            self.threads = 0

"""Run the peer benchmark and the extras; write benchmarks/results/ (Markdown, JSON, PNG).

    python -m benchmarks.run              # sizes S, M, L, every peer, plus the extras (about 6 minutes)
    python -m benchmarks.run --sizes S --frameworks floor nnlite numpy --no-extras   # a quick look
    python -m benchmarks.run --cores-sweep   # M and L on 1, 2, 4, ... cores: results/cores.md

Each (framework, size) runs in its own process (benchmarks/workers.py), frameworks alternating
within each round; a peer that is not installed is reported as missing. Reported: the median
seconds per epoch over the rounds' timed epochs, and ratios to the floor and to nnlite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
ORDER = ["floor", "numpy", "nnlite", "pytorch", "jax", "sklearn", "keras", "jax-floor"]
LABELS = {"floor": "floor (matmuls only)", "numpy": "NumPy loop", "nnlite": "nnlite", "pytorch": "PyTorch eager",
          "jax": "JAX jit", "sklearn": "scikit-learn", "keras": "Keras/TF",
          "jax-floor": "JAX's floor (its matmuls only)"}


def run_worker(framework: str, size: str, epochs: int, env_extra: dict | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), **(env_extra or {})}
    done = subprocess.run([sys.executable, "-m", "benchmarks.workers", "--framework", framework, "--size", size,
                           "--epochs", str(epochs)], capture_output=True, text=True, env=env, timeout=1800)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"framework": framework, "size": size, "missing": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(lines[-1])


def machine() -> dict:
    info = {"python": platform.python_version(), "machine": platform.machine(), "cores": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = platform.processor()
    import numpy

    info["numpy"] = numpy.__version__
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = ", ".join(f"{p['internal_api']} {p.get('version')} ({p.get('architecture')})"
                                 for p in threadpool_info() if p.get("user_api") == "blas")
    except ImportError:
        pass
    return info


def peer_table(results: dict, sizes: list[str]) -> str:
    lines = ["| framework | " + " | ".join(f"{s} s/epoch | {s} vs floor | {s} vs nnlite" for s in sizes) + " |",
             "|---" * (1 + 3 * len(sizes)) + "|"]
    for fw in ORDER:
        cells = []
        for size in sizes:
            r = results.get((fw, size))
            if r is None:
                cells += ["", "", ""]
            elif "missing" in r:
                cells += ["missing", "", ""]
            else:
                floor, mine = results.get(("floor", size), {}), results.get(("nnlite", size), {})
                med = r["median"]
                cells += [f"{med:.4f}",
                          f"{med / floor['median']:.2f}x" if "median" in floor else "",
                          f"{med / mine['median']:.2f}x" if "median" in mine else ""]
        lines.append(f"| {LABELS[fw]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_peers(results: dict, sizes: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(sizes), figsize=(4.2 * len(sizes), 3.6))
    axes = [axes] if len(sizes) == 1 else axes
    for ax, size in zip(axes, sizes):
        names = [fw for fw in ORDER if "median" in results.get((fw, size), {})]
        floor = results[("floor", size)]["median"]
        ratios = [results[(fw, size)]["median"] / floor for fw in names]
        colors = ["#888888" if fw == "floor" else "#d62728" if fw == "nnlite" else "#1f77b4" for fw in names]
        ax.barh([LABELS[fw] for fw in names], ratios, color=colors)
        ax.set_xscale("log")
        ax.invert_yaxis()
        ax.set_title(f"size {size}: seconds per epoch / floor")
        for i, r in enumerate(ratios):
            ax.text(r, i, f" {r:.2f}x", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def core_counts(cores: int) -> list[int]:
    """1, 2, 4, ... up to the machine's cores (the machine's count last, if not a power of 2)."""
    counts = [1]
    while counts[-1] * 2 <= cores:
        counts.append(counts[-1] * 2)
    return counts + ([cores] if counts[-1] != cores else [])


def cores_sweep(frameworks: list[str], sizes: list[str], epochs: int) -> list[dict]:
    """Seconds per epoch with each framework held to 1, 2, 4, ... cores (the worker's CPU affinity, and the BLAS,
    OpenMP, PyTorch and JAX thread counts set to n), for the sizes where the products dominate."""
    rows = []
    for n in core_counts(os.cpu_count() or 1):
        env = {"BENCH_CORES": str(n), "OPENBLAS_NUM_THREADS": str(n), "OMP_NUM_THREADS": str(n),
               "MKL_NUM_THREADS": str(n), "XLA_FLAGS": f"--xla_cpu_multi_thread_eigen={'true' if n > 1 else 'false'}"}
        for size in sizes:
            for fw in frameworks:
                r = run_worker(fw, size, epochs, env)
                if "seconds" in r:
                    rows.append({"cores": n, "framework": fw, "size": size, "seconds": statistics.median(r["seconds"])})
                    print(json.dumps(rows[-1]), flush=True)
    return rows


def sweep_table(rows: list[dict]) -> str:
    """Markdown: seconds per epoch by core count, and each framework's ratio to the floor on as many cores."""
    lines = ["| size | cores | " + " | ".join(LABELS[fw] for fw in ORDER if any(r["framework"] == fw for r in rows))
             + " |"]
    shown = [fw for fw in ORDER if any(r["framework"] == fw for r in rows)]
    lines.append("|---|---|" + "---|" * len(shown))
    for size in dict.fromkeys(r["size"] for r in rows):
        for n in dict.fromkeys(r["cores"] for r in rows):
            got = {r["framework"]: r["seconds"] for r in rows if r["size"] == size and r["cores"] == n}
            floor = got.get("floor")
            cells = [f"{got[fw]:.3f} ({got[fw] / floor:.2f}x)" if fw in got and floor else
                     (f"{got[fw]:.3f}" if fw in got else "-") for fw in shown]
            lines.append(f"| {size} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def amdahl(rows: list[dict], cores: tuple[int, ...] = (8, 16)) -> str:
    """The many-core case simulated from the 1-core rows: with F the floor's epoch and R = nnlite's - F the work
    outside the products (one thread in nnlite), products that scale perfectly give nnlite / floor = 1 + R c / F
    on c cores. Markdown, one line per size."""
    lines = []
    for size in dict.fromkeys(r["size"] for r in rows):
        one = {r["framework"]: r["seconds"] for r in rows if r["size"] == size and r["cores"] == 1}
        if "floor" in one and "nnlite" in one:
            rest = one["nnlite"] - one["floor"]
            guesses = ", ".join(f"{c} cores {1 + rest * c / one['floor']:.2f}x" for c in cores)
            lines.append(f"- {size}: F = {one['floor']:.3f} s, R = {rest:.3f} s on one core; expected nnlite / floor: "
                         f"{guesses}.")
    return "\n".join(lines) + "\n"


def cores_markdown(rows: list[dict], info: dict) -> str:
    """results/cores.md: the sweep's table and the simulated many-core ratios."""
    return (f"# Seconds per epoch against the cores a framework may use\n\nMachine: {info.get('cpu')}, "
            f"{info['cores']} cores; each worker held to n cores (affinity and thread counts); in brackets the ratio "
            "to the floor (the matrix products alone) on as many cores.\n\n" + sweep_table(rows)
            + "\n## Simulated: more cores than this machine has\n\nnnlite runs its work outside the matrix products "
            "(bias, activations and their derivatives, the loss, the step of the biases and of kernels under 32,768 "
            "entries, batching) on one thread (plain SGD's step of larger kernels is inside the products); the "
            "1-core rows split an epoch into the two, and products that scale perfectly predict:\n\n"
            + amdahl(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["S", "M", "L"])
    parser.add_argument("--frameworks", nargs="+", default=ORDER)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--no-extras", action="store_true")
    parser.add_argument("--cores-sweep", action="store_true",
                        help="only the cores sweep: M and L on 1, 2, 4, ... cores, written to results/cores.md")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    if args.cores_sweep:
        rows = cores_sweep(args.frameworks, [s for s in args.sizes if s != "S"], args.epochs)
        info = machine()
        (RESULTS / "cores.md").write_text(cores_markdown(rows, info))
        (RESULTS / "cores.json").write_text(json.dumps({"machine": info, "rows": rows}, indent=1))
        print((RESULTS / "cores.md").read_text())
        return
    raw: dict = {}
    for size in args.sizes:
        for round_ in range(args.rounds):
            order = args.frameworks if round_ % 2 == 0 else args.frameworks[::-1]  # alternate
            for fw in order:
                r = run_worker(fw, size, args.epochs)
                key = (fw, size)
                if "seconds" in r:
                    raw.setdefault(key, {"seconds": []})["seconds"] += r["seconds"]
                else:
                    raw.setdefault(key, r)
                print(json.dumps(r), flush=True)
    results = {k: ({**v, "median": statistics.median(v["seconds"])} if "seconds" in v else v) for k, v in raw.items()}
    info = machine()
    text = [f"# Benchmark results\n\nMachine: {info.get('cpu')}, {info['cores']} cores, {info['machine']}; "
            f"Python {info['python']}, NumPy {info['numpy']}" + (f", BLAS {info['blas']}" if info.get("blas") else "")
            + ".\n", "## One training epoch (../../shared/peers.md protocol)\n", peer_table(results, args.sizes),
            "\n![peers](peers.png)\n"]
    plot_peers(results, args.sizes, RESULTS / "peers.png")
    extras = {}
    if not args.no_extras:
        from . import busy
        from . import extras as extras_module

        extras = extras_module.run_all(RESULTS)
        text.append(extras_module.markdown(extras))
        extras["busy"] = busy.busy_machine(run_worker, epochs=args.epochs) + busy.one_epoch_fits()
        extras["activations"] = busy.activations()
        text.append(busy.markdown(extras["busy"], extras["activations"]))
    (RESULTS / "README.md").write_text("\n".join(text) + "\n")
    (RESULTS / "results.json").write_text(json.dumps(
        {"machine": info, "peers": {f"{fw}/{size}": v for (fw, size), v in results.items()}, "extras": extras},
        indent=1))
    print((RESULTS / "README.md").read_text())


if __name__ == "__main__":
    main()

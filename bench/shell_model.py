"""Time of the shell model alone: every RUN script of the 246 real corpus Dockerfiles, analysed afresh.

Method: one Python process per checkout parses every ``real/*/Dockerfile`` of ``../shared/corpus``
once (the Dockerfile parser is not what is measured), warms up with one pass, then times N passes.
A pass analyses every RUN (and ``ONBUILD RUN``) the way ``run_analysis`` does on a cache miss
(``_analyse``: tree-sitter parse, tree -> model, words, state), then asks what the rules ask of every
script (package-manager ``invocations``, ``roles.is_cleanup``) and, once per file, its continuation style
(``style.detect_style``, which the rules ask once per fix rather than per RUN). No cache
carries one pass's work into the next: ``_analyse`` bypasses the run.py caches and every pass makes
new ``Script`` objects. With ``--baseline PATH`` a second checkout (e.g. ``git archive HEAD optimizer
| tar -x -C /tmp/base``) is measured the same way, the two taking turns pass by pass so a noisy
machine slows both alike. Reports the median and the minimum per checkout (wall clock and CPU time).

    python bench/shell_model.py [--runs 9] [--baseline PATH]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from interleave import Worker, interleaved

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "real"

# Runs inside the measured checkout: prints one JSON line per pass.
_WORKER = r"""
import gc, json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from optimizer.syntax import parse
from optimizer.shell.managers import invocations
from optimizer.shell.roles import is_cleanup
from optimizer.shell.run import _analyse
from optimizer.shell.style import detect_style

files = sorted(Path(sys.argv[2]).glob("*/Dockerfile"))
trees = [parse(p.read_bytes().decode("utf-8")) for p in files]
runs = [(tree, node) for tree in trees for node in tree.instructions if (node.sub or node).name == "RUN"]

def one_pass():
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    scripts = 0
    for tree, node in runs:
        script = _analyse(tree, node).script
        if script is not None:
            scripts += 1
            invocations(script)
            is_cleanup(script)
    for tree in trees:
        detect_style(tree)
    return time.perf_counter() - start, time.process_time() - cpu, scripts

one_pass()  # warm-up
for line in sys.stdin:
    seconds, cpu, scripts = one_pass()
    print(json.dumps({"seconds": seconds, "cpu": cpu, "runs": len(runs), "scripts": scripts}), flush=True)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--baseline", type=Path)
    args = parser.parse_args()
    workers = {"this checkout": Worker(_WORKER, ROOT, str(CORPUS))}
    if args.baseline:
        workers = {"baseline": Worker(_WORKER, args.baseline.resolve(), str(CORPUS)), **workers}
    interleaved(workers, args.runs)
    wall, cpu = {}, {}
    for name, worker in workers.items():
        wall[name], cpu[name] = statistics.median(worker.samples), statistics.median(worker.cpu)
        print(
            f"{name}: median {wall[name] * 1000:.1f} ms (min {min(worker.samples) * 1000:.1f} ms), "
            f"CPU median {cpu[name] * 1000:.1f} ms, {worker.rows[-1]['runs']} RUNs, "
            f"{worker.rows[-1]['scripts']} modelled"
        )
    if args.baseline:
        print(
            f"speed-up, baseline / this: {wall['baseline'] / wall['this checkout']:.2f}x wall, "
            f"{cpu['baseline'] / cpu['this checkout']:.2f}x CPU ({args.runs} interleaved passes each)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

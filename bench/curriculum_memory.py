"""Peak memory (RSS) of the curriculum runner, by phase: base evaluation, each stage's training and its evaluation.

    python bench/curriculum_memory.py [arithmetic_cpu] [--condition baseline] [--scale 1.0] [--eval-samples N]

Runs the curriculum for real in a temporary folder (the embedded model by default), samples the process's RSS every
0.2 s, and prints one row per phase (peak RSS, and what was resident when it began) and the process's peak
(`ru_maxrss`). `--scale 0.1` trains on a tenth of every source (at least one batch): the models loaded and the batch
shapes are those of the full run, so the peaks are too, at a fraction of the time. Target (issue 29): under 6 GB.
GB are 10^9 bytes, as the runner's `costs` report (until 2026-12-08 this bench printed GiB).
"""
import argparse, os, resource, sys, tempfile, threading, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curriculum_lab import curriculum  # noqa: E402

GB = 10 ** 9
PAGE = os.sysconf('SC_PAGE_SIZE')


def rss() -> int:
    "Resident set size of this process in bytes (Linux)."
    with open('/proc/self/statm') as f: return int(f.read().split()[1]) * PAGE


class Sampler(threading.Thread):
    "RSS every `dt` seconds; `phase(name)` starts a new row."
    def __init__(self, dt=0.2):
        super().__init__(daemon=True)
        self.dt, self.rows, self.stop = dt, [], threading.Event()
        self.phase('start')

    def phase(self, name):
        now = rss()
        self.rows.append({'phase': name, 'at_start': now, 'peak': now, 't0': time.monotonic()})

    def run(self):
        while not self.stop.wait(self.dt):
            r = self.rows[-1]; r['peak'] = max(r['peak'], rss())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('curriculum', nargs='?', default='arithmetic_cpu')
    ap.add_argument('--condition', default='baseline')
    ap.add_argument('--scale', type=float, default=1.0, help="share of every source's examples to train on")
    ap.add_argument('--eval-samples', type=int, default=None, help='cap on every evaluation (default: the curriculum\'s)')
    a = ap.parse_args(argv)
    s = Sampler(); s.start()
    train, evaluate_all = curriculum.train_sft, curriculum._evaluate_all
    def _train(*args, stage=None, **kw):
        s.phase(f'train {stage}'); return train(*args, stage=stage, **kw)
    def _eval(model_path, cur, condition, out, *args, **kw):
        s.phase(f'evaluate {Path(out).name}'); return evaluate_all(model_path, cur, condition, out, *args, **kw)
    curriculum.train_sft, curriculum._evaluate_all = _train, _eval     # phase labels only: the real functions run
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as d:
        curriculum.run_curriculum(a.curriculum, condition=a.condition, output_dir=Path(d)/'run', eval_samples=a.eval_samples,
                                  progress=False, scale=a.scale)
    s.phase('end'); s.stop.set(); s.join()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"\n{a.curriculum} ({a.condition}), scale {a.scale}, eval cap {a.eval_samples}: {time.monotonic() - t0:.0f} s\n")
    print(f"| phase | RSS at start (GB) | peak RSS (GB) | seconds |\n|---|---|---|---|")
    for r, nxt in zip(s.rows[1:-1], s.rows[2:]):
        print(f"| {r['phase']} | {r['at_start'] / GB:.2f} | {r['peak'] / GB:.2f} | {nxt['t0'] - r['t0']:.0f} |")
    print(f"\nprocess peak RSS (ru_maxrss): {peak / GB:.2f} GB (target < 6 GB: {'met' if peak < 6 * GB else 'NOT met'})")


if __name__ == '__main__': main()

"""Cold vs warm kernels: a spec's --smoke run with every run's kernel started as a new process, then forked from one server.

    python bench/warm_kernels.py [SPEC ...]      # default: demo seed000; run alone (nothing else heavy on the machine)

Prints one row per spec and arm (wall time, seconds per run as state.json records them) and checks that the two arms'
training logs agree outside their timing columns and that their evaluations gave the same answers.
"""
import shutil, sys, tempfile, time
from pathlib import Path

from curriculum_lab.core import read_csv, read_json
from curriculum_lab.runs import load_experiment, run_experiment

TIMING = ('seconds', 'per_second', 'runtime', 'time')   # columns that measure time (step_time, rollouts/seconds, ...)

def _logs(out: Path) -> dict:
    "Every run's training log without its timing columns, and every evaluation's completions."
    got = {}
    for f in sorted(out.rglob('train_log.csv')):
        rows = read_csv(f)
        got[str(f.relative_to(out))] = [{k: v for k, v in r.items() if not any(t in k for t in TIMING)} for r in rows]
    for f in sorted(out.rglob('metrics.json')):
        for name, ev in read_json(f).items():
            if isinstance(ev, dict) and ev.get('csv') and Path(ev['csv']).exists():
                got[f'{f.parent.relative_to(out)}:{name}'] = [r['completion'] for r in read_csv(ev['csv'])]
    return got

def main(specs):
    rows, root = [], Path(tempfile.mkdtemp(prefix='warm-bench-'))
    for spec in specs:
        n = len(load_experiment(spec, root/'x', smoke=True)[1])
        logs = {}
        for arm in ('cold', 'warm'):
            out = root/f'{spec}_{arm}'
            t = time.monotonic()
            run_experiment(spec, out, smoke=True, progress=False, warm=arm == 'warm')
            wall = time.monotonic() - t
            state = read_json(out/'state.json')
            secs = [s['seconds'] for s in state.values()]
            assert {s['kernel'] for s in state.values()} == {arm}, state   # each arm is what it says
            logs[arm] = _logs(out)
            rows.append((spec, arm, n, wall, min(secs), sum(secs) / len(secs), max(secs)))
        same = logs['cold'] == logs['warm']
        print(f'{spec}: {len(logs["cold"])} training logs and evaluations compared, '
              f'{"identical outside timing columns" if same else "DIFFERENT: " + str([k for k in logs["cold"] if logs["cold"][k] != logs["warm"].get(k)])}', flush=True)
    print('\n| spec | kernels | runs | wall s | s per run (min / mean / max) |\n|---|---|---|---|---|')
    for spec, arm, n, wall, lo, mean, hi in rows: print(f'| {spec} | {arm} | {n} | {wall:.0f} | {lo:.1f} / {mean:.1f} / {hi:.1f} |')
    shutil.rmtree(root, ignore_errors=True)

if __name__ == '__main__': main(sys.argv[1:] or ['demo', 'seed000'])

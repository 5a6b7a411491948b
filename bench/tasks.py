#!/usr/bin/env python
"""Examples per second of every task generator, printed as a table.

    python bench/tasks.py [--n 2000] [--gsm8k PATH]

The target from the task-library issue: 10,000 level-3 string examples well under 10 s.
GSM8K rows are read from PATH (default: ../shared/data/gsm8k beside the project, skipped if absent).
"""
import argparse, time
from pathlib import Path

from curriculum_lab.tasks import get_task

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n', type=int, default=2000, help='examples per generator')
    ap.add_argument('--gsm8k', default=str(Path(__file__).resolve().parents[2]/'shared'/'data'/'gsm8k'))
    a = ap.parse_args()
    cases = [('strings', dict(level=1)), ('strings', dict(level=3)), ('strings', dict(level=8)),
             ('strings', dict(level=3, definitions=True)), ('strings', dict(level=4, generator='paper')),
             ('arithmetic', dict()), ('arithmetic', dict(mul_tokens=True)),
             ('arithmetic', dict(source='reasoning_gym', rg_level=2)),
             ('word_problems', dict()), ('gsm_symbolic', dict())]
    rows = []
    def run(name, cfg, n, split='train'):
        t0 = time.perf_counter(); task = get_task(name, **cfg); t1 = time.perf_counter()
        ds = task.make_dataset(n, split=split); t2 = time.perf_counter()
        rows.append((name, ', '.join(f'{k}={v}' for k, v in cfg.items()) or '-', len(ds), f'{t1-t0:.2f}', f'{t2-t1:.2f}',
                     f'{len(ds)/(t2-t1):,.0f}'))
    for name, cfg in cases: run(name, cfg, a.n)
    run('strings', dict(level=3), 10_000)
    if (Path(a.gsm8k)/'train.jsonl').exists():
        run('gsm8k', dict(path=a.gsm8k), None)
        run('gsm_sbs', dict(path=a.gsm8k, simplest=500), None)
    cols = ('task', 'config', 'examples', 'setup s', 'generate s', 'examples/s')
    print('| ' + ' | '.join(cols) + ' |'); print('|' + '---|' * len(cols))
    for r in rows: print('| ' + ' | '.join(map(str, r)) + ' |')

if __name__ == '__main__': main()

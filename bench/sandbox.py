#!/usr/bin/env python
"""Sandbox throughput: programs per second through `run_many`, printed as a table.

    python bench/sandbox.py [--n 1000] [--workers 4]

Target from the rewards/sandbox issue: at least 200 trivial programs/s on this 2-core machine.
"""
import argparse, time
from curriculum_lab.sandbox import Sandbox

WORKLOADS = {
    'trivial (result = 1)': ('result = 1', None, ()),
    'entry call on a 10x10 grid': ('def solve(I):\n    return [row[::-1] for row in I]', 'solve', ([[i % 10] * 10 for i in range(10)],)),
    'syntax error': ('def solve(:', 'solve', ()),
}

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n', type=int, default=1000)
    ap.add_argument('--workers', type=int, default=None)
    a = ap.parse_args()
    sb = Sandbox(workers=a.workers)
    sb.run('result = 0')                     # start the zygote outside the timing
    rows = []
    for name, (code, entry, args) in WORKLOADS.items():
        t = time.perf_counter(); rs = sb.run_many([code] * a.n, entry=entry, args=args); dt = time.perf_counter() - t
        rows.append((name, a.n, sb.workers, rs[0].isolation, sum(r.ok for r in rs), f'{dt:.2f}', f'{a.n/dt:.0f}'))
    sb.close()
    cols = ('workload', 'programs', 'workers', 'isolation', 'ok', 'seconds', 'programs/s')
    print('| ' + ' | '.join(cols) + ' |'); print('|' + '---|' * len(cols))
    for r in rows: print('| ' + ' | '.join(map(str, r)) + ' |')

if __name__ == '__main__': main()

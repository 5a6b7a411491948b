#!/usr/bin/env python
"""Mutated baselines over every solved ARC training task: does one type-aware edit break the reference solver, and does
the repair (back to the solver) restore a full solve? Printed as tables.

    python bench/mutations.py [--per-task 1] [--tries 4] [--seed 0]

Target from the seed 002 issue: nearly every one of the 391 solved tasks gets a broken baseline whose repair solves
every train pair again.
"""
import argparse, time
from collections import Counter
from curriculum_lab.arc import load_arc
from curriculum_lab.arc_programs import verify_reference_solvers
from curriculum_lab.arc_edits import mutation_baselines, score_programs

def table(cols, rows):
    print('| ' + ' | '.join(cols) + ' |'); print('|' + '---|' * len(cols))
    for r in rows: print('| ' + ' | '.join(map(str, r)) + ' |')

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--per-task', type=int, default=1, help='broken programs kept per task')
    ap.add_argument('--tries', type=int, default=4, help='edits drawn per kept program')
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    tasks, solved = load_arc('training'), verify_reference_solvers()
    ids = sorted(t for t in tasks if solved.get(t))
    t0 = time.perf_counter()
    rows = mutation_baselines(ids, per_task=a.per_task, tries=a.tries, seed=a.seed)
    t_mut = time.perf_counter() - t0
    t0 = time.perf_counter()       # the repair: the child program (the reference solver) run again on the train pairs
    repaired = score_programs([r['child'] for r in rows], [tasks[r['task_id']]['train'] for r in rows])
    t_rep = time.perf_counter() - t0
    broken = {r['task_id'] for r in rows}
    restored = {r['task_id'] for r, s in zip(rows, repaired) if s['solved'] and r['delta'] > 0}
    n = len(ids)
    table(('solved tasks', 'with a broken baseline', 'repair restores a full solve', 'share of solved tasks', 'broken programs',
           'edits run (s)', 'repairs run (s)'),
          [(n, len(broken), len(restored), f'{len(restored) / n:.3f}', len(rows), f'{t_mut:.1f}', f'{t_rep:.1f}')])
    print()
    kinds = Counter(r['edit']['kind'] for r in rows)
    table(('edit kind', 'broken programs', 'mean parent reward', 'mean delta r'),
          [(k, c, f"{sum(r['parent_reward'] for r in rows if r['edit']['kind'] == k) / c:.3f}",
            f"{sum(r['delta'] for r in rows if r['edit']['kind'] == k) / c:.3f}") for k, c in kinds.most_common()])
    missing = sorted(set(ids) - broken)
    if missing: print(f'\nno broken baseline within {a.per_task * a.tries} edits: {len(missing)} tasks, e.g. {missing[:8]}')

if __name__ == '__main__': main()

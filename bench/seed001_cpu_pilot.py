"""Seed 001 on a CPU (issue 31, item 2): which task leaves the prep model room to learn?

The seed's comparison (full SFT vs GRPO from a prep run, at several budgets) can only show on a task where the prep model
is neither at the floor nor at the ceiling: greedy accuracy between 0.15 and 0.60, with pass@4 clearly higher (GRPO's
groups then have reward spread). Each candidate here gets seed 001's prep run (64 problems, working-out format, 3 epochs
at 1e-3, LoRA) and is measured on the same 100 test problems: greedy (strict and lenient) and 4 samples at temperature 1.0.

    python bench/seed001_cpu_pilot.py --tasks arith_t45,word,arith_t4 [--out bench/out/seed001_cpu_pilot]

Measured 2026-12-07 (nbs/LOG.md): tier 4 (greedy 0.36, pass@4 0.49) and word problems (0.29, 0.42) leave room; tiers 4-5 do not (0.12, 0.14).

Every candidate is a run directory (`train_sft` skips a completed run with the same fingerprint), so the script resumes.
"""
import argparse, json, time
from pathlib import Path

import pandas as pd

from curriculum_lab.core import read_json
from curriculum_lab.evaluation import evaluate
from curriculum_lab.sft import train_sft

CANDIDATES = {    # name: (task, task_config)
    'arith_t4': ('arithmetic', {'tier': [4]}),
    'arith_t45': ('arithmetic', {'tier': [4, 5]}),
    'arith_t345': ('arithmetic', {'tier': [3, 4, 5]}),
    'word': ('word_problems', {}),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--tasks', default='arith_t45,word')
    ap.add_argument('--out', default='bench/out/seed001_cpu_pilot')
    ap.add_argument('--prep', type=int, default=64, help='prep problems (seed 001: 64 at CPU size)')
    ap.add_argument('--n', type=int, default=100, help='test problems')
    ap.add_argument('--k', type=int, default=4, help='samples per problem at temperature 1.0')
    ap.add_argument('--tokens', type=int, default=256)
    ap.add_argument('--base', default='smollm2-135m-instruct')
    a = ap.parse_args()
    rows = []
    for name in a.tasks.split(','):
        task, cfg = CANDIDATES[name]
        out = Path(a.out)/name
        t0 = time.time()
        train_sft(a.base, task, task_config=cfg, format='working_out', stage='prep', prep_train_samples=a.prep, epochs=3,
                  learning_rate=1e-3, eval_samples=0, output_dir=out)
        row = dict(task=name, prep_min=round((time.time() - t0) / 60, 1))
        kw = dict(task_config=cfg, format='working_out', n=a.n, max_new_tokens=a.tokens, output_dir=out, progress=False)
        m = read_json(out/'metrics.json')
        g = m.get('greedy') or evaluate(out, task, stage='greedy', **kw)
        s = m.get('sampled') or evaluate(out, task, stage='sampled', temperature=1.0, samples_per_prompt=a.k, **kw)
        lo, hi = g['accuracy_ci95']
        row.update({'greedy strict': f"{g['accuracy']:.3f} [{lo:.3f}, {hi:.3f}]", 'greedy lenient': round(g['accuracy_lenient'], 3),
                    'answer line': round(g.get('answer_proportion', 0), 2), 'cut': round(g.get('truncation_rate', 0), 2),
                    'sampled pass@1': round(s['accuracy'], 3), f'pass@{a.k}': round(s['pass_at_k'][str(a.k)], 3),
                    'total_min': round((time.time() - t0) / 60, 1)})
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(pd.DataFrame(rows).to_markdown(index=False))


if __name__ == '__main__':
    main()

"""Seed 000's Stage-1 gate: which Stage 1 teaches the embedded model the atomic string functions?

Each arm trains the embedded model on Level-1 problems (SFT on the task's own right answers) and is measured on the
same gate problems as the evaluation asks them (no definitions in the prompt, greedy):
Level 1 of the training functions, Level 1 of the held-out functions, Level 2 of the training functions.
The gate (issue 30): >= 0.80 strict on both Level-1 sets, Level 2 between 0.05 and 0.60.

    python bench/stage1_gate.py --arms lora_all,full_all [--out bench/out/stage1_gate]
    python bench/stage1_gate.py --arms lora_six_mix --n 1024   # a quarter of two-step (Level-2) examples, training functions only
    python bench/stage1_gate.py --arms lora_six_mix --n 1024 --grad-accum 2 --base bench/out/stage1_gate/lora_six_n3072_e1 --out bench/out/stage1_gate/from3072
        # (that run, 2026-12-07 fourth session, had no --skip: its Level-1 answers were the base run's first 768; give --skip 3072)
    python bench/stage1_gate.py --arms lora_six_mix --n 2048 --skip 3072 --skip-l2 256 --grad-accum 2 --base bench/out/stage1_gate/from3072/lora_six_mix_n1024_e1 --out bench/out/stage1_gate/from4096
        # 1,536 new Level-1 answers and 512 new Level-2 ones on top of that run (fifth session)

Every arm is a run directory (`train_sft` skips a completed run with the same fingerprint), so the script resumes.
"""
import argparse, json, time
from collections import defaultdict
from pathlib import Path

import pandas as pd

from curriculum_lab.core import read_csv, read_json
from curriculum_lab.evaluation import evaluate
from curriculum_lab.sft import task_examples, train_sft
from curriculum_lab.strings import FUNC_IDS, HELDOUT_FUNCTIONS, TRAIN_FUNCTIONS
from curriculum_lab.tasks import get_task
from datasets import concatenate_datasets

NAMES = {v: k for k, v in FUNC_IDS.items()}
LENS = dict(min_len=3, max_len=5)
# a subset that keeps the seed's structure (training functions composed in Stage 2, held-out ones only evaluated)
SUB_TRAIN = ['repeat_str', 'sort_chars', 'add_prefix', 'mirror_str', 'insert_separator', 'fancy_brackets', 'verify_even_length']
SUB_HELDOUT = ['remove_vowels', 'add_suffix', 'rotate_str', 'duplicate_every_char', 'vowel_to_number', 'alternate_case']

# six functions that the 13-function runs got partly right or that only copy and insert: a dose per function 2.2x higher
SIX_TRAIN = ['repeat_str', 'add_prefix', 'insert_separator']
SIX_HELDOUT = ['add_suffix', 'duplicate_every_char', 'remove_vowels']

ARMS = {
    # name: (training functions, held-out functions, train_sft keyword arguments); Stage 1 trains on both sets
    'lora_all': (TRAIN_FUNCTIONS, HELDOUT_FUNCTIONS, dict(lora=None, learning_rate=1e-3)),
    'full_all': (TRAIN_FUNCTIONS, HELDOUT_FUNCTIONS, dict(lora='none', learning_rate=1e-4)),
    'full_sub': (SUB_TRAIN, SUB_HELDOUT, dict(lora='none', learning_rate=1e-4)),
    'lora_sub': (SUB_TRAIN, SUB_HELDOUT, dict(lora=None, learning_rate=1e-3)),
    'lora_six': (SIX_TRAIN, SIX_HELDOUT, dict(lora=None, learning_rate=1e-3)),
    # the six functions, plus a share of Level-2 problems over the training functions only (held-out ones are never
    # composed in Stage 1): trained on one-step traces alone, the model writes one step for two functions (nbs/LOG.md)
    'lora_six_mix': (SIX_TRAIN, SIX_HELDOUT, dict(lora=None, learning_rate=1e-3)),
}
MIX_L2 = {'lora_six_mix': 0.25}     # arm -> share of Level-2 examples (training functions)


def gate_sets(train_fns, heldout_fns):
    return {'L1 train fns': dict(level=1, functions=train_fns), 'L1 held-out fns': dict(level=1, functions=heldout_fns),
            'L2 train fns': dict(level=2, functions=train_fns)}


def per_function(csv):
    "func_i -> (right, problems) of a Level-1 evaluation's debug CSV."
    out = defaultdict(list)
    for r in read_csv(csv): out[r['expression'].split('(')[0]].append(float(r['correct']))
    return {k: (int(sum(v)), len(v)) for k, v in out.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--arms', default='full_all')
    ap.add_argument('--out', default='bench/out/stage1_gate')
    ap.add_argument('--n', type=int, default=1024, help='training examples')
    ap.add_argument('--epochs', type=float, default=1.0)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--skip', type=int, default=0, help='mixed arms: leave out the first k Level-1 problems (those a --base run trained on)')
    ap.add_argument('--skip-l2', type=int, default=0, help='mixed arms: leave out the first k Level-2 problems (those a --base run trained on)')
    ap.add_argument('--grad-accum', type=int, default=1, help='micro-batches per step (batch / grad-accum examples each): below 4,096 tokens per micro-batch SFT keeps glibc malloc')
    ap.add_argument('--n-gate', type=int, default=128, help='problems per gate set')
    ap.add_argument('--base', default='smollm2-135m-instruct')
    ap.add_argument('--tokens', type=int, default=128, help='generation budget of the gate evaluations')
    a = ap.parse_args()
    rows = []
    for arm in a.arms.split(','):
        train_fns, heldout_fns, kw = ARMS[arm]
        fns = 'all' if (train_fns, heldout_fns) == (TRAIN_FUNCTIONS, HELDOUT_FUNCTIONS) else train_fns + heldout_fns
        out = Path(a.out)/f'{arm}_n{a.n}_e{a.epochs:g}'
        t0 = time.time()
        l1 = dict(level=1, functions=fns, **LENS)
        if arm in MIX_L2:      # n examples in all: (1 - share) Level 1 of every function, share Level 2 of the training ones
            n2 = round(a.n * MIX_L2[arm])
            kw = dict(kw, dataset=concatenate_datasets([
                task_examples(get_task('strings', format='json_output', **l1), a.n - n2, seed=0, skip=a.skip),
                task_examples(get_task('strings', format='json_output', level=2, functions=train_fns, **LENS), n2, seed=0, skip=a.skip_l2)]).shuffle(seed=0))
        train_sft(a.base, task='strings', task_config=l1, train_samples=a.n,
                  epochs=a.epochs, batch_size=a.batch, grad_accum=a.grad_accum, max_length=256, eval_samples=0, eval_max_new_tokens=256, output_dir=out,
                  warmup_ratio=0.05, **kw)
        train_s = time.time() - t0
        row = dict(arm=arm, n=a.n, epochs=a.epochs, train_min=round(train_s/60, 1))
        for name, tc in gate_sets(train_fns, heldout_fns).items():
            stage = 'gate_' + name.replace(' ', '_').replace('-', '')
            m = read_json(out/'metrics.json').get(stage) if (out/'metrics.json').exists() else None
            if m is None or m.get('n') != a.n_gate or m.get('max_new_tokens') != a.tokens:
                m = evaluate(out, 'strings', n=a.n_gate, task_config=dict(**tc, **LENS), output_dir=out, stage=stage,
                             max_new_tokens=a.tokens, progress=False)
            lo, hi = m['accuracy_ci95']
            row[name] = f"{m['accuracy']:.3f} [{lo:.3f}, {hi:.3f}]"
            row[name + ' lenient'] = round(m['accuracy_lenient'], 3)
            row[name + ' cut'] = round(m.get('truncation_rate', 0), 3)
            if name.startswith('L1'):
                pf = per_function(m['csv'])
                print(f'{arm} {name}: ' + ', '.join(f'{f}({NAMES[f]}) {c}/{t}' for f, (c, t) in sorted(pf.items())), flush=True)
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(pd.DataFrame(rows).to_markdown(index=False))


if __name__ == '__main__':
    main()

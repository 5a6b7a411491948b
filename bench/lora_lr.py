"""Learning rates for LoRA and for full fine-tuning, measured: one arithmetic-drill stage per (adapter, rate), then the probes.

    python bench/lora_lr.py [--lora-rates 5e-5,2e-4,1e-3] [--full-rates 1e-5,5e-5,2e-4] [--n 384] [--out DIR]

Seed 003 trains every weight at 5e-5 / 3e-5 / 2e-5; the CPU curricula train a LoRA adapter (r 16), whose rates must be
larger. This trains the embedded model once per arm on the same drills (tiers 1-5, one epoch, batches of 16 in two
micro-batches, the seed003 / arithmetic_cpu stage settings), evaluates the 281 arithmetic probes (greedy, 64 tokens),
and prints one row per arm: final loss, probes overall / mul table / multi-digit x / addition with 95 % intervals,
training seconds. The start model is evaluated once and shared. Resumable: `--out` keeps every arm's folder, and an arm
that completed is read back, not trained again.
"""
import argparse, shutil, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curriculum_lab.arithmetic import PROBE_CATEGORIES  # noqa: E402
from curriculum_lab.core import RunDir  # noqa: E402
from curriculum_lab.curriculum import run_curriculum  # noqa: E402
from curriculum_lab.runs import ci_text  # noqa: E402

def curriculum(lora, lr: float, n: int) -> dict:
    "A one-stage curriculum: `n` drills of tiers 1-5 at rate `lr`, with `lora` ('none' or the adapter's settings)."
    return {'name': 'lr_sweep', 'base_model': 'smollm2-135m-instruct', 'format': 'gsm', 'seed': 0, 'lora': lora,
            'conditions': {'baseline': {}},
            'eval': [{'name': 'probes', 'task': 'arithmetic_probes', 'n': None, 'max_new_tokens': 64}],
            'stages': {'drills': {'data': [{'task': 'arithmetic', 'config': {'tier': [1, 2, 3, 4, 5]}, 'n': n}],
                                  'epochs': 1, 'learning_rate': lr, 'batch_size': 16, 'grad_accum': 2, 'max_length': 192}}}


def row(label: str, d: Path) -> dict:
    "The probes of the model in `d` (a curriculum's base/ or stage folder) and its training numbers."
    m = RunDir(d, create=False).read_metrics()
    ev, tr = m['eval_probes'], m.get('train', {})
    r = {'arm': label, 'final_loss': tr.get('final_loss'), 'train_s': tr.get('train_seconds'),
         'overall': ci_text(ev['accuracy'], *ev['accuracy_ci95'])}
    for c in PROBE_CATEGORIES:
        g = ev['accuracy_by_category'][c]
        r[c] = ci_text(g['accuracy'], *g['ci95'])
    return r


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--lora-rates', default='5e-5,2e-4,1e-3')
    ap.add_argument('--full-rates', default='1e-5,5e-5,2e-4')
    ap.add_argument('--n', type=int, default=384, help='drills per arm')
    ap.add_argument('--out', default='outputs/bench_lora_lr')
    a = ap.parse_args(argv)
    out = Path(a.out)
    arms = [('lora', {'r': 16, 'alpha': 32}, float(x)) for x in a.lora_rates.split(',') if x] + \
           [('full', 'none', float(x)) for x in a.full_rates.split(',') if x]
    rows, t0 = [], time.monotonic()
    for kind, lora, lr in arms:
        d = out/f'{kind}_{lr:g}'
        shared = out/'base'
        if shared.exists() and not (d/'base').exists():    # the start model's probes, evaluated once for every arm
            shutil.copytree(shared, d/'base')
        print(f'{kind} at {lr:g}: {d}', flush=True)
        run_curriculum(curriculum(lora, lr, a.n), 'baseline', output_dir=d, progress=False)
        if not shared.exists(): shutil.copytree(d/'base', shared)
        if not rows: rows.append(row('start model', d/'base'))
        rows.append(row(f'{kind} {lr:g}', d/'stage_drills'))
    print(f'\n{a.n} drills (tiers 1-5), 1 epoch, batch 16, embedded model; 281 probes greedy at 64 tokens; {time.monotonic() - t0:.0f} s\n')
    print('| arm | final loss | probes [95% CI] | mul table | multi-digit x | addition | train s |\n|---|---|---|---|---|---|---|')
    for r in rows:
        f = lambda v, p: '' if v is None else f'{v:.{p}f}'
        print(f"| {r['arm']} | {f(r['final_loss'], 3)} | {r['overall']} | {r['mul_table']} | {r['multi_digit_mul']} | {r['addition']} | {f(r['train_s'], 0)} |")


if __name__ == '__main__': main()

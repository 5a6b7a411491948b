#!/usr/bin/env python
"""Baseline table: the embedded model (or any model) on each task family, printed as Markdown.

    python bench/baseline.py [--model smollm2-135m-instruct] [--n 100] [--max-new-tokens 128] [--gsm8k PATH] [--out runs/baseline]

Each family is evaluated with `curriculum_lab.evaluation.evaluate` in its default output format; the
run directories (debug CSVs, metrics.json) go under --out.
"""
import argparse, json, time
from pathlib import Path

from curriculum_lab.evaluation import evaluate
from curriculum_lab.models import load_model

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--n', type=int, default=100)
    ap.add_argument('--max-new-tokens', type=int, default=128)
    ap.add_argument('--batch-size', type=int, default=64)
    ap.add_argument('--gsm8k', default=str(Path(__file__).resolve().parents[2]/'shared'/'data'/'gsm8k'))
    ap.add_argument('--out', default='runs/baseline')
    a = ap.parse_args()
    model = load_model(a.model)
    cases = [('arithmetic', {}), ('arithmetic_probes', {}), ('word_problems', {}), ('gsm_symbolic', {}),
             ('strings', {'level': 1}), ('strings', {'level': 2})]
    if (Path(a.gsm8k)/'test.jsonl').exists(): cases.insert(4, ('gsm8k', {'path': a.gsm8k}))
    rows = []
    for name, cfg in cases:
        t = time.time()
        tag = name + ''.join(f'_{k}{v}' for k, v in cfg.items() if k != 'path')
        m = evaluate(model, name, n=a.n, split='test', output_dir=f'{a.out}/{tag}', stage='base', batch_size=a.batch_size,
                     max_new_tokens=a.max_new_tokens, task_config=cfg, progress=False)
        lo, hi = m['accuracy_ci95']; llo, lhi = m['accuracy_lenient_ci95']
        rows.append((name, m['task_config']['format'], json.dumps({k: v for k, v in cfg.items() if k != 'path'}), m['n'],
                     f"{m['accuracy']:.3f}", f'[{lo:.3f}, {hi:.3f}]', f"{m['accuracy_lenient']:.3f}", f'[{llo:.3f}, {lhi:.3f}]',
                     f"{m['answer_proportion']:.2f}",
                     f"{m['thinking_proportion']:.2f}", f"{m['truncation_rate']:.2f}", f"{m['tokens_per_second']:.0f}", f'{time.time()-t:.0f}'))
        print(rows[-1], flush=True)
    cols = ('task', 'format', 'config', 'n', 'accuracy (strict)', '95% CI', 'accuracy (lenient)', '95% CI', 'answer prop.', 'thinking prop.', 'truncated', 'tok/s', 'seconds')
    print('| ' + ' | '.join(cols) + ' |'); print('|' + '---|' * len(cols))
    for r in rows: print('| ' + ' | '.join(map(str, r)) + ' |')

if __name__ == '__main__': main()

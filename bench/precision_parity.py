"""bf16 against fp32 on the same test problems: one model evaluated greedily in each precision, answers paired.

    python bench/precision_parity.py MODEL [--sets arithmetic,probes,strings1,strings2] [--n 200] [--out DIR]

MODEL is anything `evaluate` takes (the embedded model's name, an HF folder, a run directory). Each set is evaluated
with `evaluate(..., precision='fp32')` and again with `precision='bf16'` (the fast decoder with bf16 weights and cache),
the same prompts, seed and budget, one after the other in this process. One table: strict and lenient accuracy with
95 % intervals in each precision, the share of identical completions, the answers right in one precision only and the
exact McNemar p (strict), and each precision's decoding seconds. bf16 on a CPU without native bf16 is emulated (same
numbers, far slower); the table's header says which this CPU is. Run it alone on the machine.

Sets: `arithmetic` = drills of tiers 1-3 in the gsm format (the headline's test prompts, 128 tokens); `probes` = seed 003's
281 arithmetic probes (all of them); `strings1` / `strings2` = the string functions at level 1 / 2 (json output, 128 tokens).
"""
import argparse, time
from pathlib import Path

from curriculum_lab.core import ci_text, markdown_table, read_csv, write_json
from curriculum_lab.evaluation import evaluate
from curriculum_lab.models import BF16_CPU_FLAGS, cpu_flags, native_bf16
from curriculum_lab.runs import mcnemar_p

SETS = {   # name: (task, task_config, format, examples (None: --n), max_new_tokens)
    'arithmetic': ('arithmetic', {'tier': [1, 2, 3]}, 'gsm', None, 128),
    'probes': ('arithmetic_probes', {}, None, 281, 64),
    'strings1': ('strings', {'level': 1}, 'json_output', None, 128),
    'strings2': ('strings', {'level': 2}, 'json_output', None, 128),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('model')
    ap.add_argument('--sets', default=','.join(SETS))
    ap.add_argument('--n', type=int, default=200, help='problems per set (the probes are always all 281)')
    ap.add_argument('--out', default='bench/out/precision_parity')
    a = ap.parse_args()
    out, rows, recs = Path(a.out), [], {}
    flags = sorted(set(BF16_CPU_FLAGS) & cpu_flags())
    print(f"# {a.model}: bf16 {'native (' + ', '.join(flags) + ')' if native_bf16('cpu') else 'emulated (no avx512_bf16 / amx_bf16)'}")
    for name in a.sets.split(','):
        task, cfg, fmt, n, tokens = SETS[name]
        ev = {}
        for prec in ('fp32', 'bf16'):
            t0 = time.monotonic()
            m = evaluate(a.model, task, n=n or a.n, task_config=cfg, format=fmt, max_new_tokens=tokens, output_dir=out/name,
                         stage=f'{name}_{prec}', precision=prec, progress=False)
            ev[prec] = (m, read_csv(m['csv']), time.monotonic() - t0)
        (m32, r32, s32), (m16, r16, s16) = ev['fp32'], ev['bf16']
        assert [r['prompt'] for r in r32] == [r['prompt'] for r in r16], 'the two precisions saw other prompts'
        right = lambda r: float(r['correct']) == 1.0
        only32, only16 = (sum(right(x) and not right(y) for x, y in pairs) for pairs in (zip(r32, r16), zip(r16, r32)))
        same = sum(x['completion'] == y['completion'] for x, y in zip(r32, r16)) / len(r32)
        rows.append([name, len(r32), ci_text(m32['accuracy'], *m32['accuracy_ci95']), ci_text(m16['accuracy'], *m16['accuracy_ci95']),
                     ci_text(m32['accuracy_lenient'], *m32['accuracy_lenient_ci95']), ci_text(m16['accuracy_lenient'], *m16['accuracy_lenient_ci95']),
                     f'{same:.3f}', f'{only32} / {only16}', f'{mcnemar_p(only32, only16):.2g}', f'{s32:.0f} / {s16:.0f}'])
        recs[name] = dict(n=len(r32), fp32=m32, bf16=m16, identical=same, only_fp32=only32, only_bf16=only16, seconds=[s32, s16])
        print(rows[-1], flush=True)
    print(markdown_table(['set', 'n', 'strict fp32', 'strict bf16', 'lenient fp32', 'lenient bf16', 'identical completions',
                          'right only fp32 / only bf16', 'McNemar p', 'seconds fp32 / bf16'], rows))
    write_json(out/'parity.json', recs)


if __name__ == '__main__': main()

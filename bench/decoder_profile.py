"""Where the fast decoder's time goes, fp32 against bf16: torch's profiler over one greedy batch, ops by self CPU time.

    python bench/decoder_profile.py [--model smollm2-135m-instruct] [--prompts 128] [--max-new-tokens 64] [--top 12]

For each precision: one warm-up batch, then the same batch under `torch.profiler`; one table of the ops that take the most
self CPU time (seconds and share of the profiled wall time, both precisions side by side), and the share left outside
every torch op (Python: the decoder's loop, the sampler's bookkeeping). Explains why bf16 decoding gains less than the
matmuls' ~2x (nbs/LOG.md, issue 29). Run it alone on the machine.
"""
import argparse, time
from collections import defaultdict

import torch
from torch.profiler import ProfilerActivity, profile

from curriculum_lab.core import markdown_table, set_threads
from curriculum_lab.decoding import generate
from curriculum_lab.models import load_model

PROMPTS = ['What is {a} + {b}? Reply with just the number.', 'Write the word "{w}" backwards.', 'Name a fruit that starts with {c}.']


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--prompts', type=int, default=128); ap.add_argument('--max-new-tokens', type=int, default=64)
    ap.add_argument('--top', type=int, default=12)
    a = ap.parse_args()
    set_threads()
    model, tok = load_model(a.model)
    qs = [[{'role': 'user', 'content': PROMPTS[i % 3].format(a=i, b=2 * i + 1, w=f'word{i}', c=chr(65 + i % 26))}] for i in range(a.prompts)]
    prof, wall, toks = {}, {}, {}
    for prec in ('fp32', 'bf16'):
        run = lambda: generate(model, tok, qs, max_new_tokens=a.max_new_tokens, batch_size=a.prompts, progress=False, precision=prec)
        run()                                                    # builds the decoder's weight copies, warms the allocator
        with profile(activities=[ProfilerActivity.CPU]) as p:
            t = time.perf_counter(); cs = run(); wall[prec] = time.perf_counter() - t
        toks[prec] = sum(c.tokens for c in cs)
        ops = defaultdict(float)
        for e in p.key_averages(): ops[e.key] += e.self_cpu_time_total / 1e6
        prof[prec] = ops
        print(f'{prec}: {toks[prec]} tokens in {wall[prec]:.1f} s under the profiler ({toks[prec] / wall[prec]:.0f} tok/s)', flush=True)
    keys = sorted(set(prof['fp32']) | set(prof['bf16']), key=lambda k: -(prof['fp32'].get(k, 0) + prof['bf16'].get(k, 0)))[:a.top]
    cell = lambda prec, s: f'{s:.2f} s ({s / wall[prec]:.0%})'
    rows = [[k, cell('fp32', prof['fp32'].get(k, 0)), cell('bf16', prof['bf16'].get(k, 0)),
             f"{prof['fp32'].get(k, 0) / prof['bf16'][k]:.2f}x" if prof['bf16'].get(k) else ''] for k in keys]
    rest = {p: wall[p] - sum(prof[p].values()) for p in wall}
    rows.append(['outside torch ops (Python)', cell('fp32', rest['fp32']), cell('bf16', rest['bf16']), f"{rest['fp32'] / rest['bf16']:.2f}x"])
    rows.append(['wall (profiled)', f"{wall['fp32']:.2f} s", f"{wall['bf16']:.2f} s", f"{wall['fp32'] / wall['bf16']:.2f}x"])
    print(markdown_table(['op (self CPU time)', 'fp32', 'bf16', 'fp32 / bf16'], rows))


if __name__ == '__main__': main()

#!/usr/bin/env python
"""Generation throughput of the embedded model against this machine's fp32 matmul roofline.

    python bench/generation.py [--model smollm2-135m-instruct] [--prompts 128] [--max-new-tokens 64] [--precisions auto]

Prints one table: tokens/s of `curriculum_lab.models.generate` (its fast decoder) at several batch
sizes (greedy, and sampled at temperature 1 at the largest batch, as rollouts sample), the same workload through plain `model.generate` (one prompt at a time, and batched without
length sorting), the roofline measured in the same run (fp32 matmul GFLOP/s / FLOPs per token), and
the ratio. FLOPs per token = 2 x (parameters in the matmuls: every linear layer plus the output head).
The roofline's matmul rate is the best 2048 x 2048 x 2048 fp32 matmul (median over the run); the
rate of the model's own matmul shapes at the largest batch is printed beside it, as the ceiling a
decoder made only of matmuls would reach. Greedy outputs are compared with plain per-prompt
generate (first --single-prompts prompts) and with plain batched generate (every prompt).
Every row runs in fp32 (the lab's `generate` is asked for it: its default, `auto`, is bf16 on a CPU with native bf16)
but the bf16 one. With bf16 (`--precisions auto`: where the CPU has native bf16, `models.native_bf16`; or named), the fast decoder runs
again at the largest batch with bf16 weights (its decoder built and warmed by an untimed short call first, as the fp32
rows before it warm fp32's), and its greedy texts are compared with fp32's (share identical). Then `--pairs` fp32 / bf16
runs at the largest batch, alternating: the machine's speed drifts during a run, and adjacent runs give the ratio.
"""
import argparse, json, os, sys, time
from pathlib import Path

import torch

from curriculum_lab.core import set_threads, write_json
from curriculum_lab.models import BF16_CPU_FLAGS, cpu_flags, load_model, native_bf16
from curriculum_lab.decoding import generate, render_prompt, stop_ids

def matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    "Best fp32 GFLOP/s of an n x n matmul at the current thread count."
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = 0.0
    for _ in range(repeats):
        t = time.perf_counter(); torch.mm(a, b); dt = time.perf_counter() - t
        best = max(best, 2 * n**3 / dt / 1e9)
    return best

def flops_per_token(model) -> float:
    "2 x parameters of the linear layers and the output head (embedding lookups are free)."
    n = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))
    return 2.0 * n

def model_shape_gflops(model, rows: int, repeats: int = 3) -> float:
    "fp32 GFLOP/s of one token's matmuls for `rows` sequences: fused q|k|v, o, gate|up, down per layer, and the head."
    cfg = model.config; H, I = cfg.hidden_size, cfg.intermediate_size
    hd = getattr(cfg, 'head_dim', None) or H // cfg.num_attention_heads
    qkv = (cfg.num_attention_heads + 2 * cfg.num_key_value_heads) * hd
    shapes = [(H, qkv), (cfg.num_attention_heads * hd, H), (H, 2 * I), (I, H)] * cfg.num_hidden_layers + [(H, cfg.vocab_size)]
    ws = {s: torch.randn(*s) for s in set(shapes)}; xs = {k: torch.randn(rows, k) for k, _ in shapes}
    flop = sum(2 * rows * k * n for k, n in shapes); best = 0.0
    for _ in range(repeats + 1):
        t = time.perf_counter()
        for s in shapes: xs[s[0]] @ ws[s]
        best = max(best, flop / (time.perf_counter() - t) / 1e9)
    return best

PROMPTS = [
    'What is {a} + {b}? Answer with just the number.',
    'Reverse the string "{w}" and answer with JSON {{"output": ...}}.',
    'Tom has {a} apples and buys {b} more. How many apples does he have now? Explain briefly.',
    'A shop sells pens at ${a} each. How much do {b} pens cost? Show your working.',
]

def make_prompts(n: int):
    "`n` distinct chat prompts (repeated prompts would be computed once by the fast decoder and flatter it)."
    words = ['lab', 'curriculum', 'gradient', 'token', 'sample', 'reward', 'policy', 'adapter']
    return [[{'role': 'user', 'content': PROMPTS[i % 4].format(a=7 + 3*i, b=11 + 5*i, w=f'{words[i % 8]}{i}')}] for i in range(n)]

@torch.inference_mode()
def plain_generate(model, tok, prompts, max_new_tokens, batch_size):
    """model.generate in input order, no length sorting; returns (texts, generated tokens). Shares no code with the
    lab's generate on purpose: it is the reference the lab's outputs are compared with."""
    stop = stop_ids(model, tok); texts, n_tok = [], 0
    for b in range(0, len(prompts), batch_size):
        enc = tok([render_prompt(tok, p) for p in prompts[b:b+batch_size]], return_tensors='pt', padding=True,
                  add_special_tokens=False)
        out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, temperature=None, top_p=None,
                             top_k=None, pad_token_id=tok.pad_token_id, eos_token_id=stop)[:, enc['input_ids'].shape[1]:]
        for row in out.tolist():
            end = next((k for k, t in enumerate(row) if t in stop), None)
            body = row if end is None else row[:end]
            texts.append(tok.decode(body, skip_special_tokens=False)); n_tok += len(body) + (end is not None)
    return texts, n_tok

PER_PROMPT = 'plain generate, per prompt'   # the reference of the per-prompt comparison
SAMPLED = 'curriculum_lab.generate, sampled (temperature 1)'
BF16 = 'curriculum_lab.generate, bf16'

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', default='smollm2-135m-instruct')
    ap.add_argument('--prompts', type=int, default=128, help='prompts for the batched runs')
    ap.add_argument('--single-prompts', type=int, default=8, help='prompts for the batch-1 runs (slow)')
    ap.add_argument('--max-new-tokens', type=int, default=64)
    ap.add_argument('--batch-sizes', default='1,32,64,128')
    ap.add_argument('--json', help='also write the rows to this JSON file')
    ap.add_argument('--precisions', default='auto', help="auto: fp32, and bf16 where the CPU has it natively; or fp32,bf16")
    ap.add_argument('--pairs', type=int, default=2, help='with bf16: fp32 / bf16 runs at the largest batch, alternating, after the table\'s rows')
    a = ap.parse_args()
    precs = (['fp32', 'bf16'] if native_bf16('cpu') else ['fp32']) if a.precisions == 'auto' else a.precisions.split(',')
    print(f"CPU bf16 flags: {sorted(set(BF16_CPU_FLAGS) & cpu_flags()) or 'none (bf16 emulated: skipped unless --precisions names it)'}",
          file=sys.stderr)
    threads = set_threads()
    model, tok = load_model(a.model)
    fpt = flops_per_token(model)
    prompts = make_prompts(a.prompts)
    ref_texts, _ = plain_generate(model, tok, prompts[:a.single_prompts], a.max_new_tokens, 1)  # also warms up
    rows, gflops, shape_gflops, outputs = [], [], [], []
    bmax = max(int(x) for x in a.batch_sizes.split(','))
    def run(method, batch, fn, n_prompts):
        gflops.append(matmul_gflops())              # the roofline is measured between the rows of this run
        shape_gflops.append(model_shape_gflops(model, bmax))
        t = time.perf_counter(); texts, n_tok = fn(); dt = time.perf_counter() - t
        rows.append(dict(method=method, batch=batch, prompts=n_prompts, tokens=n_tok, seconds=round(dt, 2),
                         tok_s=round(n_tok/dt, 1),
                         same_as_per_prompt='reference' if method == PER_PROMPT else 'n/a' if method in (SAMPLED, BF16)
                                            else texts[:a.single_prompts] == ref_texts[:len(texts)]))
        outputs.append(texts)
        print(f'  {method:<26} batch {batch:>3}: {n_tok/dt:7.1f} tok/s', file=sys.stderr)
    for bs in [int(x) for x in a.batch_sizes.split(',')]:
        ps = prompts[:a.single_prompts] if bs == 1 else prompts
        def ours(ps=ps, bs=bs):
            cs = generate(model, tok, ps, max_new_tokens=a.max_new_tokens, batch_size=bs, progress=False, precision='fp32')
            return [c.text for c in cs], sum(c.tokens for c in cs)
        run('curriculum_lab.generate', bs, ours, len(ps))
    def sampled():   # what RFT and GRPO rollouts do: temperature 1, every token drawn from the softmax
        cs = generate(model, tok, prompts, max_new_tokens=a.max_new_tokens, batch_size=bmax, temperature=1.0, seed=0, progress=False,
                      precision='fp32')
        return [c.text for c in cs], sum(c.tokens for c in cs)
    run(SAMPLED, bmax, sampled, len(prompts))
    if 'bf16' in precs:
        # untimed: build the bf16 decoder and run its kernels once, as the fp32 rows above did for fp32
        generate(model, tok, prompts[:8], max_new_tokens=4, batch_size=8, progress=False, precision='bf16')
        def bf16():
            cs = generate(model, tok, prompts, max_new_tokens=a.max_new_tokens, batch_size=bmax, progress=False, precision='bf16')
            return [c.text for c in cs], sum(c.tokens for c in cs)
        run(BF16, bmax, bf16, len(prompts))
    run(PER_PROMPT, 1, lambda: plain_generate(model, tok, prompts[:a.single_prompts], a.max_new_tokens, 1), a.single_prompts)
    run('plain generate, batched', bmax, lambda: plain_generate(model, tok, prompts, a.max_new_tokens, bmax), len(prompts))
    gflops.append(matmul_gflops()); shape_gflops.append(model_shape_gflops(model, bmax))
    shape_gf = sorted(shape_gflops)[len(shape_gflops)//2]
    gf = sorted(gflops)[len(gflops)//2]
    roof = gf * 1e9 / fpt
    # the least matmul work this workload needs: every prompt token once (the prefix all prompts share once),
    # the head only for each prompt's last token, then one full token per generated token after the first
    enc = [tok(render_prompt(tok, p), add_special_tokens=False)['input_ids'] for p in prompts]
    shared, head = len(os.path.commonprefix(enc)), 2.0 * model.lm_head.weight.numel()
    gen_tokens = rows[-1]['tokens']
    work = ((sum(map(len, enc)) - (len(enc) - 1) * shared) * (fpt - head) + len(enc) * head + (gen_tokens - len(enc)) * fpt)
    ceiling = gen_tokens / (work / (shape_gf * 1e9))
    for r, texts in zip(rows, outputs):     # the last row is plain batched generate itself: the reference
        r['same_as_plain_batched'] = ('reference' if r is rows[-1] else 'n/a' if r['method'] == SAMPLED
                                      else f'{sum(x == y for x, y in zip(texts, outputs[-1])) / len(texts):.2f} of texts'
                                      if r['method'] == BF16 else texts == outputs[-1][:len(texts)])
        r['ratio_to_roofline'] = round(r['tok_s'] / roof, 3)
    print(f'\nmodel {a.model}: {fpt/1e9:.3f} GFLOP/token, {threads} threads, max_new_tokens {a.max_new_tokens}; '
          f'fp32 matmul {gf:.0f} GFLOP/s (median of {len(gflops)}, range {min(gflops):.0f}-{max(gflops):.0f}) '
          f'-> roofline {roof:.0f} tok/s; the model\'s own matmul shapes at batch {bmax}: {shape_gf:.0f} GFLOP/s '
          f'(median, range {min(shape_gflops):.0f}-{max(shape_gflops):.0f}) '
          f'-> {shape_gf * 1e9 / fpt:.0f} tok/s for matmuls alone; with this workload\'s prompts ({sum(map(len, enc))} tokens, '
          f'{shared} shared) a decoder doing nothing but its matmuls at that rate would give {ceiling:.0f} tok/s '
          f'({ceiling / roof:.2f} of the roofline)\n')
    cols = list(rows[0])
    print('| ' + ' | '.join(cols) + ' |'); print('|' + '---|' * len(cols))
    for r in rows: print('| ' + ' | '.join(str(r[c]) for c in cols) + ' |')
    pairs = []
    for i in range(a.pairs if 'bf16' in precs and 'fp32' in precs else 0):   # the machine's speed drifts: adjacent runs compared
        t = []
        for prec in ('fp32', 'bf16'):
            t0 = time.perf_counter()
            cs = generate(model, tok, prompts, max_new_tokens=a.max_new_tokens, batch_size=bmax, progress=False, precision=prec)
            t.append(sum(c.tokens for c in cs) / (time.perf_counter() - t0))
        pairs.append(dict(pair=i + 1, fp32_tok_s=round(t[0], 1), bf16_tok_s=round(t[1], 1), bf16_over_fp32=round(t[1] / t[0], 2)))
    if pairs:
        print(f'\nfp32 then bf16 at batch {bmax}, adjacent ({a.pairs} pairs, after the rows above):\n')
        print('| pair | fp32 tok/s | bf16 tok/s | bf16 / fp32 |'); print('|---|---|---|---|')
        for r in pairs: print(f"| {r['pair']} | {r['fp32_tok_s']} | {r['bf16_tok_s']} | {r['bf16_over_fp32']:.2f}x |")
        table = next(r for r in rows if r['method'] == BF16)['tok_s'] / next(r for r in rows if r['method'] == 'curriculum_lab.generate' and r['batch'] == bmax)['tok_s']
        ratios = ', '.join(f"{r['bf16_over_fp32']:.2f}x" for r in pairs)
        print(f"\nbf16 / fp32 at batch {bmax}: table {table:.2f}x; pairs {ratios}")
    if a.json: write_json(a.json, {'pairs': pairs, 'model': a.model, 'gflop_per_token': fpt/1e9, 'threads': threads,
                                'matmul_gflops': gflops, 'roofline_tok_s': roof, 'model_shape_gflops': shape_gflops,
                                'matmul_only_ceiling_tok_s': ceiling, 'rows': rows})

if __name__ == '__main__': main()

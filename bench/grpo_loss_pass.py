#!/usr/bin/env python
"""GRPO's training pass alone (log-probabilities forward, backward), variant against variant on one fixed batch.

    python bench/grpo_loss_pass.py [--variants lab,fused,trl] [--precisions fp32,bf16] [--attention sdpa,eager]
                                   [--micro-batches 8,32] [--repeats 3] [--prompts 8] [--num-generations 4]
                                   [--max-completion-length 64] [--clipped 0.75] [--profile VARIANT]

The batch is the headline's step: `--prompts` arithmetic prompts (tiers 1-3, gsm format, the embedded model's chat
template, left-padded as TRL pads them), `--num-generations` completions each, right-padded, of which a share
`--clipped` run to `--max-completion-length` and the rest end uniformly between 10 tokens and it (the headline's early
steps: 0.6-0.75 clipped, mean 54 of 64). Completion tokens are random: the cost does not depend on them. The model is
the embedded SmolLM2 with a new LoRA adapter (r 16, B matrices drawn so that gradients are not zero).

Variants of `_get_per_token_logps_and_entropies` (entropies computed, as GRPO asks for them):
- `lab`: the lab's pass (each distinct prompt once, rows in chunks of 8 by length), the head on the labelled positions only;
- `fused`: the lab's pass with TRL's fused, tiled head (what it used before, and what it uses on a GPU);
- `trl`: TRL's own pass (every row's prompt computed, the fused head).
Each variant runs forward + backward of `sum(log p * mask)` over the whole step, cut into micro-batches of
`--micro-batches` completions (whole groups, as `train_grpo` cuts them), `--repeats` times after one warm-up; the table
shows the median seconds per step. Variants alternate within each repeat so that a drift of the machine's speed touches
all of them. `--profile lab,bf16,sdpa,8` prints torch's profiler table (ops by self CPU time) for that one configuration.
Run it alone: another process on the two cores slows both far more than 2x.
"""
import argparse, contextlib, statistics, sys, time
from pathlib import Path
from types import SimpleNamespace

import torch

sys.path.insert(0, str(Path(__file__).parent))
from generation import matmul_gflops   # noqa: E402  (the roofline of bench/generation.py)

from curriculum_lab.decoding import encode_prompt
from curriculum_lab.grpo import LabGRPOTrainer, grpo_dataset
from curriculum_lab.models import LoraSpec, apply_lora, load_model
from curriculum_lab.tasks import get_task
from trl import GRPOTrainer
from trl.trainer.utils import add_fused_lm_head

def step_batch(tok, prompts: int, k: int, C: int, clipped: float, seed: int = 0):
    "input_ids, attention_mask and logits_to_keep of one GRPO step, laid out as TRL lays it out."
    g = torch.Generator().manual_seed(seed)
    rows = grpo_dataset(get_task('arithmetic', format='gsm', tier=[1, 2, 3]), prompts, seed=seed)
    enc = [encode_prompt(tok, r['prompt']) for r in rows]
    P = max(map(len, enc)); pad = tok.pad_token_id or 0
    ids, mask = [], []
    for e in enc:
        for _ in range(k):
            n = C if torch.rand(1, generator=g).item() < clipped else int(torch.randint(10, C, (1,), generator=g))
            comp = torch.randint(100, 40000, (n,), generator=g).tolist()
            ids.append([pad] * (P - len(e)) + e + comp + [pad] * (C - n))
            mask.append([0] * (P - len(e)) + [1] * (len(e) + n) + [0] * (C - n))
    return torch.tensor(ids), torch.tensor(mask), C

def fake_trainer(head: str, autocast) -> SimpleNamespace:
    "What `_get_per_token_logps_and_entropies` reads of its trainer."
    return SimpleNamespace(share_prompts=True, lab_recompute=False, lab_chunk_rows=8, record=lambda *a, **kw: None,
                           accelerator=SimpleNamespace(autocast=autocast, unwrap_model=lambda m: m, is_main_process=True),
                           args=SimpleNamespace(use_cpu=head == 'lab'), temperature=1.0, entropy_coef=0.0, use_adaptive_entropy=False)

def one_step(model, variant: str, prec: str, ids, mask, C: int, k: int, mb: int):
    "Forward and backward of the whole step in micro-batches of `mb` rows; seconds."
    autocast = (lambda: torch.autocast('cpu', dtype=torch.bfloat16)) if prec == 'bf16' else contextlib.nullcontext
    fake = fake_trainer(variant, autocast)
    fn = GRPOTrainer._get_per_token_logps_and_entropies if variant == 'trl' else LabGRPOTrainer._get_per_token_logps_and_entropies
    t = time.perf_counter()
    for s in range(0, len(ids), mb):
        sl = slice(s, s + mb)
        with autocast() if variant == 'trl' else contextlib.nullcontext():   # TRL's trainer wraps its pass in autocast itself
            lp, ent, _ = fn(fake, model, ids[sl], mask[sl], C, batch_size=mb, compute_entropy=True)
        (lp * mask[sl, -C:]).sum().backward()
    model.zero_grad(set_to_none=True)
    return time.perf_counter() - t

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--variants', default='lab,fused,trl'); ap.add_argument('--precisions', default='fp32,bf16')
    ap.add_argument('--attention', default='sdpa'); ap.add_argument('--micro-batches', default='8')
    ap.add_argument('--repeats', type=int, default=3); ap.add_argument('--prompts', type=int, default=8)
    ap.add_argument('--num-generations', type=int, default=4); ap.add_argument('--max-completion-length', type=int, default=64)
    ap.add_argument('--clipped', type=float, default=0.75); ap.add_argument('--profile', default=None)
    a = ap.parse_args()
    torch.manual_seed(0)
    model, tok = load_model('smollm2-135m-instruct')
    add_fused_lm_head(model, temperature=1.0, outputs=('log_probs', 'entropy'))
    model = apply_lora(model, LoraSpec())
    with torch.no_grad():
        for n, p in model.named_parameters():
            if 'lora_B' in n: p.normal_(0, 0.02)
    model.train()
    ids, mask, C = step_batch(tok, a.prompts, a.num_generations, a.max_completion_length, a.clipped)
    print(f'batch: {ids.shape[0]} rows x {ids.shape[1]} tokens ({ids.shape[1] - C} prompt, {C} completion); '
          f'{int(mask[:, -C:].sum())} completion tokens, {int(mask[:, :-C].sum()) // a.num_generations} distinct prompt tokens', flush=True)
    if a.profile:
        variant, prec, attn, mb = a.profile.split(',')
        model.set_attn_implementation(attn)
        one_step(model, variant, prec, ids, mask, C, a.num_generations, int(mb))
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            s = one_step(model, variant, prec, ids, mask, C, a.num_generations, int(mb))
        print(f'{a.profile}: {s:.2f} s under the profiler')
        print(prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=25)); return
    roof = matmul_gflops()
    configs = [(v, p, at, int(mb)) for p in a.precisions.split(',') for at in a.attention.split(',')
               for mb in a.micro_batches.split(',') for v in a.variants.split(',')]
    times = {c: [] for c in configs}
    for r in range(a.repeats + 1):
        for c in configs:
            model.set_attn_implementation(c[2])
            s = one_step(model, c[0], c[1], ids, mask, C, a.num_generations, c[3])
            if r: times[c].append(s)
        if r: print(f'repeat {r}: ' + ', '.join(f'{"/".join(map(str, c))} {times[c][-1]:.2f} s' for c in configs), flush=True)
    print(f'\nGRPO training pass, one step ({ids.shape[0]} completions), embedded model + LoRA r16; '
          f'fp32 2048^3 matmul {roof:.0f} GFLOP/s; median of {a.repeats}\n')
    print('| pass | precision | attention | micro-batch | s/step | vs trl, same precision |')
    print('|---|---|---|---|---|---|')
    for c in configs:
        ref = times.get(('trl', c[1], c[2], c[3]))
        rel = f'{statistics.median(ref) / statistics.median(times[c]):.2f}x' if ref else ''
        print(f'| {c[0]} | {c[1]} | {c[2]} | {c[3]} | {statistics.median(times[c]):.2f} | {rel} |')

if __name__ == '__main__':
    main()

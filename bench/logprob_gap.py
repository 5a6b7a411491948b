"""How far GRPO's rollout log-probabilities are from the trainer's own, by precision.

    python bench/logprob_gap.py [--base smollm2-135m-instruct] [--prompts 8] [--num-generations 2] [--max-new-tokens 32]

GRPO samples with the lab's fast decoder and trains on the model's own forward pass; TRL corrects the difference
between the two (truncated importance sampling) only for vLLM rollouts. With both in fp32 they agree to rounding. In
bf16 the decoder runs on bf16 weight copies and the trainer under bf16 autocast over fp32 weights: this measures
what that costs. Completions are sampled once (temperature 1, fp32 decoder); then each one's per-token
log-probabilities are computed (a) by the fast decoder token by token, as a rollout computes them, in fp32 and in
bf16, and (b) by the trainer's forward pass (the model with a fresh LoRA adapter, the loss pass's numerics), in fp32
and under bf16 autocast. The table gives the mean and max absolute difference per completion token and the mean
difference (the bias) for each pair, and the sequence-level importance ratio exp(sum of differences) that TRL's
correction would apply. bf16 on a CPU without native bf16 is emulated: same numbers, far slower.
"""
import argparse, sys, time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from curriculum_lab.decoding import FastDecoder, encode_prompt, generate   # noqa: E402
from curriculum_lab.models import LoraSpec, load_model                      # noqa: E402
from curriculum_lab.tasks import get_task                                    # noqa: E402


@torch.inference_mode()
def decoder_logps(dec: FastDecoder, prompt: list[int], completion: list[int]) -> torch.Tensor:
    "Log-probabilities of `completion` after `prompt`, the decoder fed one token at a time as in a rollout."
    P, T = len(prompt), len(prompt) + len(completion)
    cache = dec.new_cache(1, T)
    h = dec.forward(torch.tensor([prompt]), torch.arange(P)[None], cache, 0, torch.ones(P, P, dtype=torch.bool).tril()[None, None])
    out = []
    for i, tok in enumerate(completion):
        out.append(torch.log_softmax(dec.logits(h).float(), -1)[0, tok])
        if i + 1 < len(completion):
            t = P + i
            h = dec.forward(torch.tensor([[tok]]), torch.tensor([[t]]), cache, t, torch.ones(1, 1, 1, t + 1, dtype=torch.bool))
    return torch.stack(out)


@torch.no_grad()
def trainer_logps(model, prompt: list[int], completion: list[int], bf16: bool) -> torch.Tensor:
    "Log-probabilities of `completion` from the model's forward pass, in fp32 or under bf16 autocast (the trainer's)."
    ids = torch.tensor([prompt + completion])
    with torch.autocast('cpu', torch.bfloat16, enabled=bf16):
        logits = model(input_ids=ids).logits[0, len(prompt) - 1:-1]
    return torch.log_softmax(logits.float(), -1).gather(1, torch.tensor(completion)[:, None])[:, 0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--base', default='smollm2-135m-instruct')
    ap.add_argument('--task', default='arithmetic'); ap.add_argument('--format', default='gsm')
    ap.add_argument('--prompts', type=int, default=8); ap.add_argument('--num-generations', type=int, default=2)
    ap.add_argument('--max-new-tokens', type=int, default=32)
    a = ap.parse_args(argv)
    model, tok = load_model(a.base, lora=LoraSpec())     # the trainer's model: fp32 weights, a fresh adapter
    with torch.no_grad():                                 # a trained adapter: B != 0, so the deltas matter
        for n, p in model.named_parameters():
            if 'lora_B' in n: p.normal_(0, 0.02)
    rows = get_task(a.task, format=a.format, tier=[1, 2, 3]).make_dataset(a.prompts, seed=0)
    comps = generate(model, tok, rows['prompt'], n=a.num_generations, max_new_tokens=a.max_new_tokens, temperature=1.0,
                     seed=0, progress=False, precision='fp32')
    seqs = [(encode_prompt(tok, rows[c.index]['prompt']), c.token_ids) for c in comps if c.token_ids]
    print(f'{len(seqs)} completions, {sum(len(c) for _, c in seqs)} tokens', flush=True)
    lp, secs = {}, {}
    for name, fn in [('rollout fp32', lambda p, c, d=FastDecoder(model, torch.float32): decoder_logps(d, p, c)),
                     ('rollout bf16', lambda p, c, d=FastDecoder(model, torch.bfloat16): decoder_logps(d, p, c)),
                     ('trainer fp32', lambda p, c: trainer_logps(model, p, c, False)),
                     ('trainer bf16 autocast', lambda p, c: trainer_logps(model, p, c, True))]:
        t0 = time.monotonic(); lp[name] = [fn(p, c) for p, c in seqs]; secs[name] = time.monotonic() - t0
        print(f'  {name}: {secs[name]:.1f} s', flush=True)
    print('\n| rollout | trainer | mean abs diff / token | max abs diff | mean diff (rollout - trainer) | importance ratio per sequence: median [min, max] |')
    print('|---|---|---|---|---|---|')
    for r, t in [('rollout fp32', 'trainer fp32'), ('rollout bf16', 'trainer fp32'), ('rollout bf16', 'trainer bf16 autocast'),
                 ('rollout fp32', 'trainer bf16 autocast')]:
        d = [x - y for x, y in zip(lp[r], lp[t])]
        flat = torch.cat(d)
        ratio = torch.stack([torch.exp(-x.sum()) for x in d]).sort().values   # trainer / rollout probability of the sequence
        print(f'| {r} | {t} | {flat.abs().mean():.5f} | {flat.abs().max():.4f} | {flat.mean():+.5f} | '
              f'{ratio[len(ratio) // 2]:.3f} [{ratio[0]:.3f}, {ratio[-1]:.3f}] |')


if __name__ == '__main__': main()

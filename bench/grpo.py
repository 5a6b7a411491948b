#!/usr/bin/env python
"""GRPO step time with TRL's generation and with the lab's rollouts, side by side in one process.

    python bench/grpo.py [--base smollm2-135m-instruct] [--steps 5] [--paths trl,lab] [--task arithmetic] [--reward-weights J]
                         [--format gsm] [--task-config '{"tier": [1, 2, 3]}'] [--prompts-per-step 8]
                         [--num-generations 4] [--max-completion-length 64] [--screen 2] [--no-share-prompts] [--trl-lab-pass]
                         [--micro-batch N] [--recompute] [--precisions auto] [--json out.json]

Runs `train_grpo` for `--steps` optimizer steps once per rollout path (`trl`: TRL's whole step, its generation and its loss
pass; `lab`: the lab's rollouts and its shared-prompt loss pass), same configuration and seed, no evaluation,
and prints one table: seconds per step split into generation (TRL's `model.generate`, or the lab's rollouts),
reward functions and the rest (log-probabilities, backward pass, optimizer: "training"); rollout tokens/s (generated
tokens / generation seconds, the screened prompts' completions included); the whole step's achieved GFLOP/s and its share of the fp32 matmul roofline that
`bench/generation.py` measures (a 2048^3 matmul, best of 5, measured here before the runs); and the peak resident
memory of each run (sampled every 50 ms). The first step is left out of the averages (it builds the decoder and warms
up the allocator) when more than one step runs.

FLOPs per step are counted as in `bench/generation.py`: 2 x (parameters of the linear layers and the head) per token,
for the generated tokens and each distinct prompt once (generation), and twice that for every token the loss's
forward pass runs (the completions, and each distinct prompt once with shared prompts, every row's prompt without):
forward, and the backward pass through frozen weights; the LoRA weights' own gradients are negligible. Run it alone: another process on the two cores slows both far more than 2x.
`--precisions auto` runs every path in fp32 and, where the CPU has native bf16 (`models.native_bf16`), in bf16 too
(rollouts with bf16 weights, the loss pass under bf16 autocast); emulated bf16 runs only when named.
"""
import argparse, json, os, sys, tempfile, threading, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generation import flops_per_token, matmul_gflops   # noqa: E402  (the roofline of bench/generation.py)

from curriculum_lab.core import read_train_log, set_threads, write_json
from curriculum_lab.grpo import train_grpo
from curriculum_lab.models import BF16_CPU_FLAGS, cpu_flags, load_model, native_bf16

class PeakRSS:
    "Peak resident memory of this process while the `with` block runs (sampled from /proc every `every` s)."
    def __init__(self, every: float = 0.05): self.every, self.peak, self._stop = every, 0, threading.Event()
    @staticmethod
    def now() -> int:
        for line in open('/proc/self/status'):
            if line.startswith('VmRSS:'): return int(line.split()[1]) * 1024
        return 0
    def _run(self):
        while not self._stop.is_set(): self.peak = max(self.peak, self.now()); time.sleep(self.every)
    def __enter__(self): self._t = threading.Thread(target=self._run, daemon=True); self._t.start(); return self
    def __exit__(self, *exc): self._stop.set(); self._t.join(); self.peak = max(self.peak, self.now())

def step_stats(rows: list[dict], per_step: int, flop_tok: float, k: int, share: bool) -> dict:
    "Averages over logged steps: seconds split, rollout tokens/s, FLOPs per step."
    prev = 0.0; out = []
    for r in rows:
        tokens = r['num_tokens'] - prev; prev = r['num_tokens']
        comp = r['completions/mean_length'] * per_step; prompt = tokens - comp
        gen_tok = r.get('rollouts/tokens') or comp         # the lab's rollouts also generate the screened prompts' groups
        gen_flop = flop_tok * (gen_tok + prompt / k * gen_tok / comp)   # each distinct prompt computed once
        train_flop = 2 * flop_tok * (comp + (prompt / k if share else prompt))  # forward + backward (frozen weights)
        out.append(dict(step=r['step_seconds'], gen=r['generation_seconds'], reward=r.get('reward_seconds', 0.0),
                        comp=gen_tok, flop=gen_flop + train_flop))
    avg = lambda key: sum(o[key] for o in out) / len(out)
    return dict(step_seconds=avg('step'), generation_seconds=avg('gen'), reward_seconds=avg('reward'),
                training_seconds=avg('step') - avg('gen') - avg('reward'), rollout_tok_s=sum(o['comp'] for o in out) / sum(o['gen'] for o in out),
                gflop_s=sum(o['flop'] for o in out) / sum(o['step'] for o in out) / 1e9, steps=len(out))

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--base', default='smollm2-135m-instruct', help='model name, HF folder or SFT run directory to start from')
    ap.add_argument('--task', default='arithmetic'); ap.add_argument('--format', default='gsm')
    ap.add_argument('--reward-weights', default='{"string_reward": 1.0}', help="JSON {reward: weight}, as 40_grpo's default")
    ap.add_argument('--task-config', default='{"tier": [1, 2, 3]}')
    ap.add_argument('--steps', type=int, default=5); ap.add_argument('--paths', default='trl,lab')
    ap.add_argument('--prompts-per-step', type=int, default=8); ap.add_argument('--num-generations', type=int, default=4)
    ap.add_argument('--max-completion-length', type=int, default=64)
    ap.add_argument('--screen', type=float, default=2.0, help='prompts sampled per prompt trained (lab rollouts only)')
    ap.add_argument('--no-share-prompts', action='store_true', help="the lab row with TRL's loss pass: every row's prompt computed again")
    ap.add_argument('--trl-lab-pass', action='store_true', help="the trl row with the lab's loss pass (TRL's generation only; default: TRL's whole step)")
    ap.add_argument('--micro-batch', type=int, default=None, help="completions per forward/backward pass (default: train_grpo's, whole groups of ~8)")
    ap.add_argument('--recompute', action='store_true', help="shared-prompt pass: each chunk's activations recomputed in the backward pass")
    ap.add_argument('--threads', type=int, default=None); ap.add_argument('--json', default=None)
    ap.add_argument('--precisions', default='auto', help="auto: fp32, and bf16 where the CPU has it natively; or fp32,bf16")
    a = ap.parse_args()
    precs = (['fp32', 'bf16'] if native_bf16('cpu') else ['fp32']) if a.precisions == 'auto' else a.precisions.split(',')
    print(f"CPU bf16 flags: {sorted(set(BF16_CPU_FLAGS) & cpu_flags()) or 'none'}; precisions {precs}", flush=True)
    if a.threads: set_threads(a.threads)
    model, _ = load_model('smollm2-135m-instruct' if Path(a.base).is_dir() else a.base)
    flop_tok = flops_per_token(model); del model
    roof = matmul_gflops()
    per_step = a.prompts_per_step * a.num_generations
    results = {}
    for path, prec in [(p, q) for q in precs for p in a.paths.split(',')]:
        out = Path(tempfile.mkdtemp(prefix=f'bench_grpo_{path}_{prec}_'))
        share = not a.no_share_prompts if path == 'lab' else a.trl_lab_pass   # the trl row: TRL's generation and TRL's own loss pass
        t0 = time.monotonic()
        with PeakRSS() as mem:
            train_grpo(a.base, a.task, task_config=json.loads(a.task_config), format=a.format or None, train_samples=256,
                       num_generations=a.num_generations, prompts_per_step=a.prompts_per_step, max_steps=a.steps,
                       max_completion_length=a.max_completion_length, rollouts=path, eval_samples=0, output_dir=out,
                       reward_weights=a.reward_weights or None, screen=a.screen if path == 'lab' else 1.0, share_prompts=share,
                       micro_batch=a.micro_batch, recompute=a.recompute, precision=prec, progress=False)
        rows = read_train_log(out/'train_log.csv')
        st = step_stats(rows[1:] if len(rows) > 1 else rows, per_step, flop_tok, a.num_generations, share)
        results[f'{path} {prec}'] = dict(st, peak_rss_gb=mem.peak / 1e9, wall_seconds=time.monotonic() - t0, roofline_gflop_s=roof)
        print(f'{path} {prec}: {st["step_seconds"]:.1f} s/step over {st["steps"]} steps, peak RSS {mem.peak / 1e9:.2f} GB', flush=True)
    print(f'\nGRPO, {a.base}, {a.task} {a.format} {a.task_config}: {a.prompts_per_step} prompts x {a.num_generations} '
          f'completions per step, {a.max_completion_length} tokens max, lab screen {a.screen:g}x; loss pass: lab row '
          f'{"TRL" if a.no_share_prompts else "lab (shared prompts)"}, trl row {"lab (shared prompts)" if a.trl_lab_pass else "TRL"}; roofline {roof:.0f} GFLOP/s (fp32 2048^3 matmul)\n')
    print('| rollouts | s/step | generation s | rewards s | training s | rollout tok/s | step GFLOP/s | of roofline | peak RSS GB |')
    print('|---|---|---|---|---|---|---|---|---|')
    for path, r in results.items():
        print(f"| {path} | {r['step_seconds']:.1f} | {r['generation_seconds']:.1f} | {r['reward_seconds']:.2f} | "
              f"{r['training_seconds']:.1f} | {r['rollout_tok_s']:.0f} | {r['gflop_s']:.1f} | {r['gflop_s'] / roof:.2f} | "
              f"{r['peak_rss_gb']:.2f} |")
    for prec in precs:
        lab, trl = results.get(f'lab {prec}'), results.get(f'trl {prec}')
        if lab and trl:
            print(f"\n{prec}: lab / trl rollout tokens/s: {lab['rollout_tok_s'] / trl['rollout_tok_s']:.2f}x; "
                  f"step time: {trl['step_seconds'] / lab['step_seconds']:.2f}x faster")
    if 'lab bf16' in results and 'lab fp32' in results:
        print(f"lab bf16 / fp32 step time: {results['lab fp32']['step_seconds'] / results['lab bf16']['step_seconds']:.2f}x faster")
    if a.json: write_json(a.json, dict(args=vars(a), results=results))

if __name__ == '__main__':
    main()

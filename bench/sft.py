"""The lab's SFT against TRL's `SFTTrainer` with its defaults: same model, LoRA, data and batch, one process per arm.

    python bench/sft.py [--workloads short,long] [--arms trl,lab,lab_random] [--precisions auto] [--steps 12]

Arms (each trains the embedded SmolLM2-135M-Instruct with a new LoRA adapter, r 16, alpha 32, at 2e-4, linear decay,
on the same examples, one epoch of `steps` batches):
- `trl`: TRL's `SFTTrainer` as a user would run it: `SFTConfig` defaults (completion-only loss, TRL's fused LM head,
  random batches) with the same learning rate, batch, length and precision.
- `lab`: `train_sft` as shipped (the LM head only on trained positions, batches grouped by length, glibc's malloc).
- `lab_random`: `train_sft` with random batches (`group_by_length=False`): what the head alone buys.
- `lab_1mb` (`lab_<N>mb`): `train_sft` with a fixed N MB mmap threshold (`training.return_freed_memory`; GRPO runs with
  1 MB): blocks of N MB or more are mapped on their own and returned when freed (less memory, more page faults).
- `lab_trim`: `train_sft` with glibc's `malloc_trim` after every step.
- `lab_sdpa` / `lab_eager`: `train_sft` with sdpa attention always / eager attention at any length (`lab` takes eager
  where its saved weights fit in `training.EAGER_ATTENTION_BYTES`).
- `lab_recompute`: `train_sft(recompute=True)`: activations recomputed in the backward pass (gradient checkpointing).
  Less memory for long examples, one more forward pass of time.

Workloads: `short` = arithmetic drills (tiers 1-5, working-out format, ~120 tokens, batch 8); `long` = ARC programs with
their reasoning (`arc_program`, examples of at most 2,048 tokens, ~1,300, batch 4); `seed002` = the same examples as
`seed002.yaml` trains them, steps of 8 in 4 micro-batches of 2 (`grad_accum`). Precisions: `fp32`, `bf16`, or
`auto`: fp32 and, where the CPU has native bf16 (`models.native_bf16`), bf16 too; emulated bf16 is skipped unless named.

Each row: trained tokens (prompt + completion, no padding) per second of `trainer.train()`, the share of padding in
the batches (rebuilt from the sampler each arm uses, seed 0; not read from the trainer), peak RSS of the arm's process, and the loss of the trained adapter on 16 held-out examples (completion
tokens, fp32, no padding): the quality check. Run it alone on the machine.
"""
import argparse, json, os, random, resource, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORKLOADS = {   # name -> (task, task config, batch, max_length, micro-batches per step)
    'short': ('arithmetic', {'tier': [1, 2, 3, 4, 5]}, 8, 256, 1),
    'long': ('arc_program', {}, 4, 2048, 1),
    'seed002': ('arc_program', {}, 8, 2048, 4),     # seed002.yaml's SFT: steps of 8 in 4 micro-batches of 2
}
ARMS = ('trl', 'lab', 'lab_random', 'lab_1mb', 'lab_trim', 'lab_sdpa', 'lab_eager', 'lab_recompute')
LR, HELD_OUT = 2e-4, 16


def examples(workload: str, n: int, seed: int):
    "`n` prompt/completion pairs of the workload that fit its max_length, and their token counts."
    from curriculum_lab.models import load_model
    from curriculum_lab.tasks import get_task
    from curriculum_lab.sft import task_examples
    import curriculum_lab.arc_programs   # registers arc_program
    from datasets import Dataset
    name, cfg, _, max_len, _ = WORKLOADS[workload]
    _, tok = load_model('tiny')          # same tokenizer as the embedded model
    ds = task_examples(get_task(name, **cfg), n * 4, seed=seed)
    rows, lens = [], []
    for p, c in zip(ds['prompt'], ds['completion']):
        L = len(tok.apply_chat_template(p + c, tokenize=True)['input_ids'])
        if L <= max_len: rows.append({'prompt': p, 'completion': c}); lens.append(L)
        if len(rows) == n: break
    if len(rows) < n: sys.exit(f'{workload}: only {len(rows)} of {n} examples fit {max_len} tokens')
    return Dataset.from_list(rows), lens


def held_out_loss(model, tok, ds) -> float:
    "Mean per-token loss of the completions of `ds`, one example at a time (no padding), in fp32."
    import torch
    from curriculum_lab.sft import completion_loss
    tot = n = 0
    model.eval()
    with torch.no_grad():
        for p, c in zip(ds['prompt'], ds['completion']):
            ids = tok.apply_chat_template(p + c, tokenize=True)['input_ids']
            k = len(tok.apply_chat_template(p, tokenize=True, add_generation_prompt=True)['input_ids'])
            x = torch.tensor([ids]); lab = x.clone(); lab[:, :k] = -100
            m = int((lab[:, 1:] != -100).sum())
            tot += completion_loss(model, dict(input_ids=x, attention_mask=torch.ones_like(x), labels=lab), m).item() * m; n += m
    return tot / n


def padding_share(lens, batch: int, order) -> float:
    "Padded positions / all positions when the examples in `order` are batched `batch` at a time, padded to the longest."
    tot = pad = 0
    for i in range(0, len(order), batch):
        b = [lens[j] for j in order[i:i + batch]]; tot += max(b) * len(b); pad += max(b) * len(b) - sum(b)
    return pad / tot


def child(workload: str, arm: str, precision: str, steps: int) -> dict:
    import torch
    from curriculum_lab.models import EMBEDDED_MODEL, LoraSpec, load_model
    from curriculum_lab.sft import train_sft
    _, _, batch, max_len, accum = WORKLOADS[workload]
    train, lens = examples(workload, batch * steps, seed=0)
    held, _ = examples(workload, HELD_OUT, seed=1)
    with tempfile.TemporaryDirectory() as d:
        if arm == 'trl':
            from trl import SFTConfig, SFTTrainer
            model, tok = load_model(EMBEDDED_MODEL, lora=LoraSpec(r=16, alpha=32))
            cfg = SFTConfig(output_dir=d, per_device_train_batch_size=batch // accum, gradient_accumulation_steps=accum,
                            learning_rate=LR, num_train_epochs=1,
                            max_length=max_len, lr_scheduler_type='linear', use_cpu=True, bf16=precision == 'bf16',
                            report_to=[], save_strategy='no', logging_steps=1, seed=0, disable_tqdm=True)
            tr = SFTTrainer(model=model, args=cfg, train_dataset=train, processing_class=tok)
            t0 = time.monotonic(); tr.train(); secs = time.monotonic() - t0
            losses = [h['loss'] for h in tr.state.log_history if 'loss' in h]
        else:
            if arm in ('lab_sdpa', 'lab_eager'):   # attention as before 2026-12-08 (sdpa always), or eager at any length
                import curriculum_lab.training as T
                T.EAGER_ATTENTION_BYTES = 0 if arm == 'lab_sdpa' else 1 << 62
            if arm.endswith('mb'):       # lab_<N>mb: a fixed N MB mmap threshold, process-wide (GRPO's is 1 MB)
                from curriculum_lab.training import return_freed_memory
                return_freed_memory(int(arm[4:-2]) << 20)
            cbs = ()
            if arm == 'lab_trim':
                import ctypes
                from transformers import TrainerCallback
                class Trim(TrainerCallback):
                    def on_step_end(self, *a, **k): ctypes.CDLL('libc.so.6').malloc_trim(0)
                cbs = (Trim(),)
            m = train_sft(EMBEDDED_MODEL, dataset=train, output_dir=d, eval_samples=0, batch_size=batch, grad_accum=accum,
                          max_length=max_len, recompute=True if arm == 'lab_recompute' else None,
                          learning_rate=LR, lora={'r': 16, 'alpha': 32}, group_by_length=arm != 'lab_random', precision=precision, callbacks=cbs,
                          progress=False)
            secs = m['train']['train_seconds']
            from curriculum_lab.core import read_train_log
            losses = [r['loss'] for r in read_train_log(Path(d)/'train_log.csv')]
            model, tok = load_model(d)
        loss = held_out_loss(model.float(), tok, held)
    # padding: the order each sampler draws (transformers' samplers, seed 0 as both trainers use)
    from transformers.trainer_pt_utils import LengthGroupedSampler
    torch.manual_seed(0)
    order = (list(LengthGroupedSampler(batch, lengths=lens, generator=torch.Generator().manual_seed(0))) if arm != 'trl' and arm != 'lab_random'
             else list(torch.utils.data.RandomSampler(range(len(lens)), generator=torch.Generator().manual_seed(0))))
    return {'workload': workload, 'arm': arm, 'precision': precision, 'steps': steps, 'tokens': sum(lens), 'seconds': secs,
            'tok_s': sum(lens) / secs, 'padding': padding_share(lens, batch // accum, order), 'first_loss': losses[0],
            'last_loss': losses[-1], 'held_out_loss': loss, 'peak_rss_gb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9}   # GB (10^9 bytes; GiB until 2026-12-08)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--workloads', default=','.join(WORKLOADS))
    ap.add_argument('--arms', default=','.join(ARMS))
    ap.add_argument('--precisions', default='auto', help="'auto' (fp32, and bf16 where native), or a list: fp32,bf16")
    ap.add_argument('--steps', type=int, default=12, help='optimizer steps per arm (short); long runs half as many')
    ap.add_argument('--child', nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        w, arm, p = a.child
        print('RESULT ' + json.dumps(child(w, arm, p, a.steps if w == 'short' else max(2, a.steps // 2))), flush=True); return
    from curriculum_lab.models import BF16_CPU_FLAGS, cpu_flags, native_bf16
    import torch
    torch.set_num_threads(1)
    native = native_bf16('cpu')
    precs = (['fp32', 'bf16'] if native else ['fp32']) if a.precisions == 'auto' else a.precisions.split(',')
    gf = {}
    for dt in (torch.float32, torch.bfloat16):
        x = torch.randn(1024, 1024, dtype=dt); x @ x; t0 = time.perf_counter()
        for _ in range(3): x @ x
        gf[dt] = 3 * 2 * 1024 ** 3 / (time.perf_counter() - t0) / 1e9
    print(f"CPU: {sorted(set(BF16_CPU_FLAGS) & cpu_flags()) or 'no native bf16 flag'}; one core 1024^3 matmul fp32 "
          f"{gf[torch.float32]:.1f}, bf16 {gf[torch.bfloat16]:.1f} GFLOP/s" + ('' if native or 'bf16' in precs else '; bf16 rows skipped (emulated)'),
          flush=True)
    rows = []
    for w in a.workloads.split(','):
        for p in precs:
            for arm in a.arms.split(','):
                print(f'{w}, {arm}, {p} ...', flush=True); t0 = time.monotonic()
                r = subprocess.run([sys.executable, __file__, '--steps', str(a.steps), '--child', w, arm, p], capture_output=True,
                                   text=True, env={**os.environ, 'PYTHONPATH': str(ROOT)})
                line = [x for x in r.stdout.splitlines() if x.startswith('RESULT ')]
                if r.returncode or not line: sys.exit(f'{w} / {arm} / {p} failed:\n{r.stderr[-3000:]}')
                rows.append(json.loads(line[0][7:])); print(f'  done in {time.monotonic() - t0:.0f} s', flush=True)
    print('\n| workload | precision | arm | steps | tokens | tok/s | vs trl | padding | loss first -> last | held-out loss | peak RSS GB |')
    print('|---|---|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        base = next((b for b in rows if b['arm'] == 'trl' and b['workload'] == r['workload'] and b['precision'] == r['precision']), None)
        vs = f"{r['tok_s'] / base['tok_s']:.2f}x" if base else ''
        print(f"| {r['workload']} | {r['precision']} | {r['arm']} | {r['steps']} | {r['tokens']:,} | {r['tok_s']:.0f} | {vs} | "
              f"{r['padding']:.2f} | {r['first_loss']:.3f} -> {r['last_loss']:.3f} | {r['held_out_loss']:.4f} | {r['peak_rss_gb']:.2f} |")


if __name__ == '__main__': main()

"""SFT step time on CPU with the lab's fixed 1 MB glibc mmap threshold against glibc's own (dynamic) threshold.

    python bench/sft_malloc.py [--steps 6] [--workloads drills,word_problems]

`run_training` sets M_MMAP_THRESHOLD to 1 MB on CPU (`training.return_freed_memory`) so that freed activation buffers
go back to the OS: it lowered GRPO's peak RSS at the same step time. Every buffer of 1 MB or more is then mapped and
unmapped at each use, and each new page is a page fault: a long-sequence SFT run spent 26 % of its CPU time in the
kernel. This trains the embedded model (LoRA r 16) for a few steps per (workload, malloc setting), each in a process of
its own (the setting is process-wide), and prints seconds per step, user and system CPU seconds, minor page faults and
peak RSS.
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORKLOADS = {    # name -> train_sft arguments: the shapes of seed 003's CPU stages
    'drills': dict(task='arithmetic', task_config={'tier': [1, 2, 3, 4, 5]}, batch_size=16, max_length=256),
    'word_problems': dict(task='word_problems', batch_size=8, max_length=384),
}
SETTINGS = ('lab 1 MB threshold', 'glibc default')


def child(workload: str, setting: str, steps: int) -> dict:
    from curriculum_lab import training
    from curriculum_lab.sft import train_sft
    if setting == 'glibc default': training.return_freed_memory = lambda *a, **k: False   # run_training calls it by name
    kw = WORKLOADS[workload]
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    with tempfile.TemporaryDirectory() as d:
        m = train_sft(train_samples=kw['batch_size'] * steps, eval_samples=0, max_steps=steps, output_dir=d, progress=False,
                      lora={'r': 16, 'alpha': 32}, **kw)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return {'workload': workload, 'setting': setting, 's_per_step': m['train']['train_seconds'] / m['train']['steps'],
            'user_s': r1.ru_utime - r0.ru_utime, 'sys_s': r1.ru_stime - r0.ru_stime, 'minor_faults': r1.ru_minflt - r0.ru_minflt,
            'peak_rss_gb': r1.ru_maxrss / 1024 ** 2}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--steps', type=int, default=6)
    ap.add_argument('--workloads', default=','.join(WORKLOADS))
    ap.add_argument('--child', nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print('RESULT ' + json.dumps(child(*a.child, a.steps)), flush=True); return
    rows = []
    for w in a.workloads.split(','):
        for s in SETTINGS:
            print(f'{w}, {s}: {a.steps} steps ...', flush=True)
            p = subprocess.run([sys.executable, __file__, '--steps', str(a.steps), '--child', w, s], capture_output=True, text=True,
                               env={**os.environ, 'PYTHONPATH': str(ROOT)})
            line = [x for x in p.stdout.splitlines() if x.startswith('RESULT ')]
            if p.returncode or not line: sys.exit(f'{w} / {s} failed:\n{p.stderr[-3000:]}')
            rows.append(json.loads(line[0][7:]))
    print(f'\n{a.steps} LoRA SFT steps of the embedded model per row (the whole process: loading included in CPU s and faults)\n')
    print('| workload | malloc | s/step | user CPU s | system CPU s | minor faults | peak RSS GB |\n|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['workload']} | {r['setting']} | {r['s_per_step']:.1f} | {r['user_s']:.0f} | {r['sys_s']:.0f} | {r['minor_faults']:,} | {r['peak_rss_gb']:.2f} |")


if __name__ == '__main__': main()

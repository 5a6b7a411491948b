"""The mmap-threshold A/B on seed 000's mixed Stage-1 data: batch 16 in one micro-batch, max_length 256, from the 3,072-example Stage 1, 8 steps.

    python bench/sft_malloc_ab.py glibc; python bench/sft_malloc_ab.py threshold     # one process per arm: mallopt lasts for the process
"""
import sys, time, resource, json
import curriculum_lab.sft as sft
from curriculum_lab.sft import task_examples, train_sft
from curriculum_lab.tasks import get_task
from datasets import concatenate_datasets
arm = sys.argv[1]
if arm == 'glibc': sft.RETURN_MEMORY_TOKENS = 10**9
SIX = ['repeat_str', 'add_prefix', 'insert_separator', 'add_suffix', 'duplicate_every_char', 'remove_vowels']
L = dict(min_len=3, max_len=5)
l1 = dict(level=1, functions=SIX, **L)
ds = concatenate_datasets([task_examples(get_task('strings', format='json_output', **l1), 96, seed=0),
                           task_examples(get_task('strings', format='json_output', level=2, functions=SIX[:3], **L), 32, seed=0)]).shuffle(seed=0)
t0 = time.time()
r = train_sft('bench/out/stage1_gate/lora_six_n3072_e1', task='strings', task_config=l1, dataset=ds, train_samples=128, epochs=1,
              batch_size=16, max_length=256, eval_samples=0, output_dir=f'bench/out/malloc_ab/{arm}', learning_rate=1e-3, warmup_ratio=0.05, progress=False)
rec = json.load(open(f'bench/out/malloc_ab/{arm}/run.json'))
print(json.dumps(dict(arm=arm, mmap=rec.get('mmap_threshold'), wall_s=round(time.time() - t0), peak_rss_gb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2))))

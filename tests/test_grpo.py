"GRPO on the tiny model: the notebook under papermill, env sizes, from an SFT run with special tokens, lab rollouts, resume."
import logging, re, signal, subprocess, sys, textwrap
from pathlib import Path

import papermill as pm
import pytest

from curriculum_lab.runs import run_notebook   # the stage cells, as a run executes them (nbdev_test runs the lessons)
from curriculum_lab.core import LabError, read_json
from curriculum_lab.grpo import train_grpo
from curriculum_lab.rewards import DEFAULT_REWARDS
from curriculum_lab.core import read_train_log
from curriculum_lab.sft import train_sft

ROOT = Path(__file__).resolve().parents[1]
NB = str(ROOT/'nbs'/'40_grpo.ipynb')
TINY = dict(max_completion_length=8, eval_samples=4, eval_max_new_tokens=8, learning_rate=1e-3, progress=False)

def test_notebook_on_tiny(tmp_path, caplog):
    "The issue's command with the tiny model: papermill nbs/40_grpo.ipynb out.ipynb -p base_model tiny -p train_samples 16 ..."
    out = tmp_path/'grpo'
    with caplog.at_level(logging.INFO, logger='papermill'):
        pm.execute_notebook(run_notebook(NB), str(tmp_path/'out.ipynb'), progress_bar=False, kernel_name='python3', cwd=str(ROOT/'nbs'),
                            log_output=True,
                            parameters=dict(base_model='tiny', train_samples=16, max_completion_length=8, eval_samples=4,
                                            eval_max_new_tokens=8, output_dir=str(out), prep_samples=0))
    # papermill --log-output shows one line per step: step/total, reward, groups with signal, s/step, time left
    steps = [r.getMessage() for r in caplog.records if re.search(r'grpo step \d+/2,', r.getMessage())]   # the run's, not the lessons'
    assert len(steps) == 2 and 'grpo step 2/2' in steps[-1], steps
    assert all('reward' in m and 'groups with signal' in m and 's/step' in m and 'min left' in m for m in steps), steps
    run = read_json(out/'run.json')
    assert run['status'] == 'completed' and run['params']['train_samples'] == 16 and run['params']['num_generations'] == 4
    assert run['rollouts'] == 'lab'
    rows = read_train_log(out/'train_log.csv')
    assert len(rows) == 2                                         # 16 prompts, 8 per step
    for name in run['params']['reward_weights']:                  # the notebook's reward set, each logged
        assert f'rewards/{name}/mean' in rows[0] and f'rewards/{name}/std' in rows[0]
    assert {'reward', 'reward_std', 'completions/mean_length', 'completions/clipped_ratio', 'generation_seconds',
            'step_seconds', 'rollouts/groups_with_signal'} <= set(rows[0])
    assert 0 < rows[0]['generation_seconds'] < rows[0]['step_seconds']
    m = read_json(out/'metrics.json')
    assert m['train']['steps'] == 2 and m['grpo']['n'] == 4
    assert len(list((out/'debug').glob(f'grpo_{run["run_id"]}.csv'))) == 1

def test_env_sizes_kl_and_bad_values(tmp_path, monkeypatch):
    monkeypatch.setenv('TRAIN_SAMPLES', '6'); monkeypatch.setenv('NUM_GENERATIONS', '2'); monkeypatch.setenv('EVAL_SAMPLES', '2')
    r = train_grpo('tiny', 'arithmetic', format='gsm', task_config={'tier': [1]}, beta=0.04, prompts_per_step=2, output_dir=tmp_path/'g',
                   **{**TINY, 'eval_samples': None})
    p = read_json(tmp_path/'g'/'run.json')['params']
    assert (p['train_samples'], p['num_generations'], p['eval_samples']) == (6, 2, 2)
    assert r['train']['steps'] == 3 and 'kl' in read_train_log(tmp_path/'g'/'train_log.csv')[0]   # KL logged when beta > 0
    with pytest.raises(LabError, match='needs at least 2'):
        train_grpo('tiny', num_generations=1, output_dir=tmp_path/'x', **TINY)
    with pytest.raises(LabError, match=r"unknown reward\(s\) \['corectness_reward'\]"):
        train_grpo('tiny', reward_weights='{"corectness_reward": 1}', output_dir=tmp_path/'x', **TINY)

def test_from_an_sft_run_with_special_tokens(tmp_path):
    "Seed 001: GRPO from the prep SFT run (working-out tags as trained token rows) continues its adapter."
    train_sft('tiny', 'arithmetic', format='working_out', stage='prep', train_samples=16, eval_samples=0, max_length=128,
              output_dir=tmp_path/'prep', progress=False)
    r = train_grpo(str(tmp_path/'prep'), 'arithmetic', format='working_out', train_samples=4, output_dir=tmp_path/'grpo', **TINY)
    assert r['status'] == 'trained' and read_json(tmp_path/'grpo'/'run.json')['adapter'] == 'continued'
    meta = read_json(tmp_path/'grpo'/'model'/'curriculum_lab.json')
    assert meta['base_model'] == 'tiny' and meta['grpo']['init_from'] == str(tmp_path/'prep') and '<SOLUTION>' in meta['special_tokens']
    for name in DEFAULT_REWARDS['working_out']:
        assert f'rewards/{name}/mean' in read_train_log(tmp_path/'grpo'/'train_log.csv')[0]

def test_changed_parameters_are_refused_not_skipped(tmp_path):
    "Re-running GRPO into a finished folder: the same parameters skip it; another beta (or k, or rewards) names the key."
    kw = dict(task_config={'tier': [1]}, train_samples=4, num_generations=2, output_dir=tmp_path/'g', **TINY)
    assert train_grpo('tiny', 'arithmetic', **kw)['status'] == 'trained'
    assert train_grpo('tiny', 'arithmetic', **kw)['status'] == 'skipped'
    with pytest.raises(LabError, match=r'beta: 0\.0 -> 0\.04.*overwrite=True'):
        train_grpo('tiny', 'arithmetic', **{**kw, 'beta': 0.04})
    with pytest.raises(LabError, match=r"reward_weights: \{'format_approx_reward': 1\.0, .*\} -> \{'string_reward': 1\.0\}"):
        train_grpo('tiny', 'arithmetic', **{**kw, 'reward_weights': {'string_reward': 1.0}})
    with pytest.raises(LabError, match=r'num_generations: 2 -> 4'):
        train_grpo('tiny', 'arithmetic', **{**kw, 'num_generations': 4})
    assert train_grpo('tiny', 'arithmetic', **{**kw, 'beta': 0.04, 'overwrite': True})['status'] == 'trained'
    assert read_json(tmp_path/'g'/'run.json')['params']['beta'] == 0.04

KILLED = textwrap.dedent('''
    import os, signal, sys
    from transformers import TrainerCallback
    from curriculum_lab.grpo import train_grpo
    class KillAfterSave(TrainerCallback):
        def on_save(self, args, state, control, **kw):
            if state.global_step == 2: os.kill(os.getpid(), signal.SIGKILL)   # a real kill, right after checkpoint-2
    train_grpo('tiny', 'arithmetic', format='gsm', task_config={'tier': [1]}, train_samples=8, prompts_per_step=2,
               num_generations=4, save_steps=2, rollouts='lab', output_dir=sys.argv[1], max_completion_length=8, eval_samples=4,
               eval_max_new_tokens=8, learning_rate=1e-3, progress=False, callbacks=[KillAfterSave()])
''')

def test_lab_rollouts_resume_after_sigkill(tmp_path):
    "GRPO through the lab's rollouts, killed after checkpoint 2 of 4, resumes and ends with the rollouts of an uninterrupted run."
    out = tmp_path/'killed'
    p = subprocess.run([sys.executable, '-c', KILLED, str(out)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    assert read_json(out/'run.json')['status'] == 'running' and (out/'checkpoints'/'checkpoint-2').is_dir()
    kw = dict(format='gsm', task_config={'tier': [1]}, train_samples=8, prompts_per_step=2, num_generations=4, save_steps=2,
              rollouts='lab', **TINY)
    r = train_grpo('tiny', 'arithmetic', output_dir=out, **kw)
    assert r['status'] == 'resumed' and r['train']['steps'] == 4 and r['train']['resumed_from'].endswith('checkpoint-2')
    ref = train_grpo('tiny', 'arithmetic', output_dir=tmp_path/'straight', **kw)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in (tmp_path/'straight').iterdir())
    cols = ('reward', 'entropy', 'completions/mean_length', 'num_tokens')    # entropy: of the sampled completions
    resumed, straight = (read_train_log(d/'train_log.csv') for d in (out, tmp_path/'straight'))
    assert [[round(r[c], 4) for c in cols] for r in resumed[2:]] == [[round(r[c], 4) for c in cols] for r in straight[2:]]
    assert read_json(out/'run.json')['rollouts'] == 'lab' and ref['grpo']['n'] == 4

def test_lab_and_trl_rollouts_write_the_same_run_folder(tmp_path):
    kw = dict(format='gsm', task_config={'tier': [1]}, train_samples=4, prompts_per_step=2, num_generations=2, **TINY)
    for path in ('lab', 'trl'):
        r = train_grpo('tiny', 'arithmetic', rollouts=path, output_dir=tmp_path/path, **kw)
        rec = read_json(tmp_path/path/'run.json')
        assert r['status'] == 'trained' and rec['rollouts'] == path
        assert rec['screen'] == rec['params']['screen'] == (2.0 if path == 'lab' else 1.0)   # TRL samples one group per prompt: no screen
        assert {'generation_seconds', 'step_seconds', 'reward'} <= set(read_train_log(tmp_path/path/'train_log.csv')[0])
    assert sorted(p.name for p in (tmp_path/'lab').iterdir()) == sorted(p.name for p in (tmp_path/'trl').iterdir())
    with pytest.raises(LabError, match='micro_batch=3 must divide'):
        train_grpo('tiny', 'arithmetic', micro_batch=3, output_dir=tmp_path/'x', **kw)

def test_micro_batches_of_whole_groups_give_the_steps_gradient(tmp_path):
    "micro_batch cuts a step into forward/backward passes of whole groups: same rollouts, same loss and gradient norm per step."
    kw = dict(format='gsm', task_config={'tier': [1]}, train_samples=4, prompts_per_step=4, num_generations=4, max_steps=2,
              rollouts='lab', **dict(TINY, eval_samples=0))
    logs = {}
    for mb in (16, 4):
        train_grpo('tiny', 'arithmetic', micro_batch=mb, output_dir=tmp_path/f'mb{mb}', **kw)
        logs[mb] = read_train_log(tmp_path/f'mb{mb}'/'train_log.csv')
    whole, micro = logs[16], logs[4]
    assert len(whole) == len(micro) == 2 and whole[0]['completions/mean_length'] == micro[0]['completions/mean_length']
    for a, b in zip(whole, micro):
        assert a['loss'] == pytest.approx(b['loss'], rel=1e-3, abs=1e-6), (a['loss'], b['loss'])
        assert a['grad_norm'] == pytest.approx(b['grad_norm'], rel=1e-3), (a['grad_norm'], b['grad_norm'])
    assert [r['loss_pass/prompts'] for r in whole] == [4, 4] and [r['loss_pass/prompts'] for r in micro] == [1, 1]

def test_full_fine_tuning(tmp_path):
    "lora='none' (the notebook's lora_r=0): every weight trains, as the seed's GRPO does; the run says so and saves a plain model."
    from curriculum_lab import rewards
    from curriculum_lab.models import load_model
    def text(c): return c[0].get('content') or '' if isinstance(c, list) and c and isinstance(c[0], dict) else c if isinstance(c, str) else ''
    @rewards.register_reward
    def distinct_chars_reward(completions, **kw):   # the tiny model's random completions differ in it: groups with signal
        return [float(len(set(text(c)))) for c in completions]
    out = tmp_path/'grpo'
    try:
        train_grpo('tiny', 'arithmetic', task_config={'tier': [1]}, train_samples=4, prompts_per_step=2, num_generations=2, output_dir=out,
                   lora='none', reward_weights='{"distinct_chars_reward": 1.0}', **{**TINY, 'eval_samples': 0, 'learning_rate': 1e-2})
    finally:   # registered for this test only (other tests in this worker go over every registered reward)
        for registry in (rewards.ALL_REWARDS, rewards.REWARD_SCORES, rewards.REGISTERED_LOWEST): registry.pop('distinct_chars_reward', None)
    run = read_json(out/'run.json')
    assert run['status'] == 'completed' and run['adapter'] == 'full' and run['params']['lora'] == 'none'
    assert not (out/'model'/'adapter_config.json').exists() and (out/'model'/'model.safetensors').exists()
    assert all(r['reward_std'] > 0 for r in read_train_log(out/'train_log.csv'))
    before, after = (dict(load_model(m)[0].named_parameters()) for m in ('tiny', str(out)))
    changed = [n for n, p in after.items() if not (p.detach() == before[n].detach()).all()]
    assert len(changed) > len(after) // 2, (len(changed), len(after))   # not an adapter's few tensors: most of the weights moved
    # the notebook's lora_r=0 is the same run
    pm.execute_notebook(run_notebook(NB), str(tmp_path/'out.ipynb'), progress_bar=False, kernel_name='python3', cwd=str(ROOT/'nbs'),
                        parameters=dict(base_model='tiny', train_samples=4, prompts_per_step=2, num_generations=2, max_completion_length=8,
                                        eval_samples=0, output_dir=str(tmp_path/'nb'), prep_samples=0, lora_r=0))
    assert read_json(tmp_path/'nb'/'run.json')['adapter'] == 'full' and read_json(tmp_path/'nb'/'run.json')['params']['lora'] == 'none'

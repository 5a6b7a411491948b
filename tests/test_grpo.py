"GRPO on the tiny model: the notebook under papermill, env sizes, from an SFT run with special tokens."
from pathlib import Path

import papermill as pm
import pytest

from curriculum_lab.core import LabError, read_json
from curriculum_lab.grpo import DEFAULT_REWARDS, train_grpo
from curriculum_lab.core import read_train_log
from curriculum_lab.sft import train_sft

ROOT = Path(__file__).resolve().parents[1]
NB = str(ROOT/'nbs'/'40_grpo.ipynb')
TINY = dict(max_completion_length=8, eval_samples=4, eval_max_new_tokens=8, learning_rate=1e-3, progress=False)

def test_notebook_on_tiny(tmp_path):
    "The issue's command with the tiny model: papermill nbs/40_grpo.ipynb out.ipynb -p base_model tiny -p train_samples 8 ..."
    out = tmp_path/'grpo'
    pm.execute_notebook(NB, str(tmp_path/'out.ipynb'), progress_bar=False, kernel_name='python3', cwd=str(ROOT/'nbs'),
                        parameters=dict(base_model='tiny', train_samples=8, max_completion_length=8, eval_samples=4,
                                        eval_max_new_tokens=8, output_dir=str(out)))
    run = read_json(out/'run.json')
    assert run['status'] == 'completed' and run['params']['train_samples'] == 8 and run['params']['num_generations'] == 4
    rows = read_train_log(out/'train_log.csv')
    assert len(rows) == 4                                         # 8 prompts, 2 per step
    for name in DEFAULT_REWARDS['json_output']:
        assert f'rewards/{name}/mean' in rows[0] and f'rewards/{name}/std' in rows[0]
    assert {'reward', 'reward_std', 'completions/mean_length', 'completions/clipped_ratio'} <= set(rows[0])
    m = read_json(out/'metrics.json')
    assert m['train']['steps'] == 4 and m['grpo']['n'] == 4
    assert len(list((out/'debug').glob(f'grpo_{run["run_id"]}.csv'))) == 1

def test_unknown_parameter_is_an_error(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match=r"unknown parameter\(s\) \['num_generation'\]"):
        pm.execute_notebook(NB, str(tmp_path/'out.ipynb'), parameters={'num_generation': 8}, progress_bar=False,
                            kernel_name='python3', cwd=str(ROOT/'nbs'))

def test_env_sizes_kl_and_bad_values(tmp_path, monkeypatch):
    monkeypatch.setenv('TRAIN_SAMPLES', '6'); monkeypatch.setenv('NUM_GENERATIONS', '2'); monkeypatch.setenv('EVAL_SAMPLES', '2')
    r = train_grpo('tiny', 'arithmetic', format='gsm', task_config={'tier': [1]}, beta=0.04, output_dir=tmp_path/'g',
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

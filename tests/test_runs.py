"The experiment runner on the tiny model: a two-run spec, resume, validation before anything runs, shipped specs, CLI."
import csv, json, os, subprocess, sys
from pathlib import Path

import pytest
import yaml

from curriculum_lab.core import LabError, read_json
from curriculum_lab.runs import load_experiment, run_experiment

ROOT = Path(__file__).resolve().parents[1]

def _spec(extra_param=None):
    sft = {'base_model': 'tiny', 'train_samples': 16, 'eval_samples': 4, 'max_length': 128, 'eval_max_new_tokens': 8,
           'learning_rate': 3e-3, 'batch_size': 8}
    if extra_param: sft.update(extra_param)
    return {'name': 'two', 'description': 'tiny SFT, then an evaluation of its model',
            'defaults': {'task': 'arithmetic', 'seed': 0},
            'runs': [{'name': 'sft', 'notebook': '30_sft', 'parameters': sft},
                     {'name': 'eval', 'notebook': '50_eval', 'needs': ['sft'],
                      'parameters': {'model_path': '{run:sft}', 'eval_samples': 6, 'max_new_tokens': 8, 'stage': 'final'}}]}

def test_two_runs_then_resume(tmp_path):
    out = tmp_path/'exp'
    s = run_experiment(_spec(), out, progress=False)
    assert [(r['run'], r['evaluation'], r['n']) for r in s['results']] == [('sft', 'full', 4), ('eval', 'final', 6)]
    assert read_json(out/'eval'/'run.json')['params']['model_path'] == str(out/'sft')
    rows = list(csv.DictReader(open(out/'results.csv')))
    assert len(rows) == 2 and rows[0]['method'] == 'sft' and rows[1]['method'] == 'eval'
    assert (out/'results.md').exists() and (out/'plots'/'sft_training.png').exists()
    assert (out/'notebooks'/'sft.ipynb').exists() and (out/'notebooks'/'eval.ipynb').exists()
    state = read_json(out/'state.json')
    assert state['sft']['status'] == state['eval']['status'] == 'completed'
    # resume: a second call skips both runs (their run.json files are untouched)
    before = {n: (out/n/'run.json').read_text() for n in ('sft', 'eval')}
    run_experiment(_spec(), out, progress=False)
    assert {n: (out/n/'run.json').read_text() for n in ('sft', 'eval')} == before
    # an interrupted experiment: drop the eval run's state, it alone runs again
    state['eval']['status'] = 'running'; (out/'state.json').write_text(json.dumps(state))
    run_experiment(_spec(), out, progress=False)
    assert (out/'sft'/'run.json').read_text() == before['sft'] and (out/'eval'/'run.json').read_text() != before['eval']

def test_unknown_parameter_rejected_before_anything_runs(tmp_path):
    with pytest.raises(LabError, match=r"run 'sft': unknown parameter\(s\) \['train_sample'\] for 30_sft.ipynb"):
        run_experiment(_spec({'train_sample': 8}), tmp_path/'exp')
    assert not (tmp_path/'exp').exists()
    bad = _spec(); bad['runs'][1]['needs'] = []
    with pytest.raises(LabError, match="does not list 'sft' in needs"):
        load_experiment(bad)

def test_failed_run_names_its_notebook(tmp_path):
    spec = _spec({'task_config': '{"tiers": [1]}'})
    with pytest.raises(LabError, match=r"run 'sft' failed in 30_sft.ipynb .*unknown config key\(s\) \['tiers'\].*Its executed notebook"):
        run_experiment(spec, tmp_path/'exp', progress=False)
    assert read_json(tmp_path/'exp'/'state.json')['sft']['status'] == 'failed'

def test_shipped_specs_load(monkeypatch, tmp_path):
    monkeypatch.setenv('GSM8K_PATH', str(tmp_path))
    for f in sorted((ROOT/'papermill_runs').glob('*.yaml')):
        info, runs = load_experiment(f)
        assert runs and all(r.parameters.get('output_dir') for r in runs), f
    info, runs = load_experiment(ROOT/'papermill_runs'/'seed001_exp1.yaml', variables={'budgets': [256, 512, 1024, 2048]})
    assert [r.name for r in runs if r.name.startswith('grpo_')] == ['grpo_256', 'grpo_512', 'grpo_1024', 'grpo_2048']

def test_command_line_error(tmp_path):
    p = tmp_path/'bad.yaml'; p.write_text(yaml.safe_dump({'runs': [{'name': 'x', 'notebook': '40_grpo', 'parameters': {'num_generation': 2}}]}))
    r = subprocess.run([sys.executable, '-m', 'curriculum_lab.runs', str(p)], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2 and "unknown parameter(s) ['num_generation']" in r.stderr, r.stderr[-1500:]

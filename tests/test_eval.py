"The evaluation notebook under papermill: files written, metrics recomputable from the CSV, parameters validated."
import csv, json
from pathlib import Path

import papermill as pm
import pytest

from curriculum_lab.runs import run_notebook   # the stage cells, as a run executes them (nbdev_test runs the lessons)
from curriculum_lab.core import read_json

ROOT = Path(__file__).resolve().parents[1]
NB = str(ROOT/'nbs'/'50_eval.ipynb')

def _run(tmp_path, **params):
    out = tmp_path/'run'
    pm.execute_notebook(run_notebook(NB), str(tmp_path/'out.ipynb'), parameters={'output_dir': str(out), **params},
                        progress_bar=False, kernel_name='python3', cwd=str(ROOT/'nbs'))
    return out

def _check_run_dir(out, stage, n):
    csvs = list((out/'debug').glob(f'{stage}_*.csv'))
    assert len(csvs) == 1 and csvs[0].with_name(csvs[0].stem + '_metrics.txt').exists()
    rows = list(csv.DictReader(open(csvs[0])))
    assert len(rows) == n
    m = read_json(out/'metrics.json')[stage]
    k = sum(float(r['correct']) == 1.0 for r in rows)          # recount by hand from the CSV
    assert m['correct'] == k and m['accuracy'] == k / n
    kl = sum(float(r['correct_lenient']) == 1.0 for r in rows)
    assert m['correct_lenient'] == kl and m['accuracy_lenient'] == kl / n and kl >= k     # lenient finds at least the strict answers
    assert read_json(out/'run.json')['status'] == 'completed'
    return m, rows

def test_tiny_model_in_seconds(tmp_path):
    out = _run(tmp_path, model_path='tiny', task='strings', task_config='{"level": [1, 2]}', eval_samples=12,
               max_new_tokens=16, stage='tiny_eval')
    m, rows = _check_run_dir(out, 'tiny_eval', 12)
    assert 'accuracy_by_level' in m and set(rows[0]) >= {'prompt', 'completion', 'extracted', 'reference', 'correct', 'tokens', 'truncated', 'level'}

def test_seed001_environment_variables(tmp_path, monkeypatch):
    "Without eval_samples and output_dir, EVAL_SAMPLES and OUTPUT_DIR decide, as for the trainers: OUTPUT_DIR/<stage>_eval."
    monkeypatch.setenv('EVAL_SAMPLES', '5'); monkeypatch.setenv('OUTPUT_DIR', str(tmp_path/'outputs'))
    pm.execute_notebook(run_notebook(NB), str(tmp_path/'out.ipynb'), parameters={'model_path': 'tiny', 'stage': 'base', 'max_new_tokens': 8},
                        progress_bar=False, kernel_name='python3', cwd=str(tmp_path))
    _check_run_dir(tmp_path/'outputs'/'base_eval', 'base', 5)

def test_embedded_model_on_arithmetic(tmp_path):
    "The issue's command: the embedded model, arithmetic, 64 examples."
    out = _run(tmp_path, model_path='smollm2-135m-instruct', task='arithmetic', eval_samples=64, batch_size=32)
    m, rows = _check_run_dir(out, 'eval', 64)
    # the untrained model reasons in prose but rarely ends with '#### n' in 64 tokens: accuracy is near 0,
    # which is the baseline SFT's prep stage starts from; what a real model does write is reasoning
    assert m['thinking_proportion'] > 0.5 and m['mean_completion_tokens'] > 10, m

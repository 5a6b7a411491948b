"SFT on the tiny model: the notebook under papermill, seed 001's stages and env variables, traces, special tokens, kill + resume."
import csv, json, os, signal, subprocess, sys, textwrap, time
from pathlib import Path

import papermill as pm
import pytest
import torch

from curriculum_lab.runs import run_notebook   # the stage cells, as a run executes them (nbdev_test runs the lessons)
from curriculum_lab.core import LabError, read_json
from curriculum_lab.models import load_model
from curriculum_lab.core import read_train_log
from curriculum_lab.sft import train_sft

ROOT = Path(__file__).resolve().parents[1]
NB = str(ROOT/'nbs'/'30_sft.ipynb')
TINY = dict(eval_samples=4, eval_max_new_tokens=8, max_length=128, batch_size=8, learning_rate=3e-3, progress=False)

def _losses(out): return [r['loss'] for r in read_train_log(Path(out)/'train_log.csv')]

def test_notebook_on_tiny(tmp_path):
    out = tmp_path/'run'
    pm.execute_notebook(run_notebook(NB), str(tmp_path/'out.ipynb'), progress_bar=False, kernel_name='python3', cwd=str(ROOT/'nbs'),
                        parameters=dict(base_model='tiny', task='strings', task_config='{"level": 1}', train_samples=32,
                                        eval_samples=6, epochs=2.0, learning_rate=3e-3, max_length=192,
                                        eval_max_new_tokens=8, output_dir=str(out)))
    run = read_json(out/'run.json')
    assert run['status'] == 'completed' and run['params']['train_samples'] == 32 and run['params']['task'] == 'strings'
    m = read_json(out/'metrics.json')
    assert m['train']['steps'] == 8 and m['full']['n'] == 6
    losses = _losses(out)
    assert len(losses) == 8 and losses[-1] < losses[0]                     # the loss fell
    assert (out/'loss_curve.png').read_bytes()[:4] == b'\x89PNG'
    csvs = list((out/'debug').glob(f'full_{run["run_id"]}.csv'))           # seed 001's debug/<stage>_<run_id>.csv
    assert len(csvs) == 1 and len(list(csv.DictReader(open(csvs[0])))) == 6
    assert not (out/'checkpoints').exists()                                # removed once the run completed
    model, tok = load_model(out)                                            # the run directory loads as a model
    assert model.lab_info['base_model'] == 'tiny'

def test_prep_then_full_with_env_sizes(tmp_path, monkeypatch):
    "Seed 001: prep on PREP_TRAIN_SAMPLES, then full from the prep run on TRAIN_SAMPLES; OUTPUT_DIR is the root."
    monkeypatch.setenv('OUTPUT_DIR', str(tmp_path))
    monkeypatch.setenv('PREP_TRAIN_SAMPLES', '16'); monkeypatch.setenv('TRAIN_SAMPLES', '24'); monkeypatch.setenv('EVAL_SAMPLES', '3')
    prep = train_sft('tiny', 'arithmetic', format='working_out', stage='prep', **{**TINY, 'eval_samples': None})
    assert prep['output_dir'] == str(tmp_path/'prep_sft') and prep['train']['examples'] == 16 and prep['prep']['n'] == 3
    full = train_sft(str(tmp_path/'prep_sft'), 'arithmetic', format='working_out', stage='full', train_samples=40,
                     **{**TINY, 'eval_samples': None})
    assert full['output_dir'] == str(tmp_path/'full_sft') and full['train']['examples'] == 40   # explicit beats TRAIN_SAMPLES
    assert read_json(tmp_path/'full_sft'/'run.json')['adapter'] == 'continued'   # the prep adapter is trained further
    meta = read_json(tmp_path/'full_sft'/'model'/'curriculum_lab.json')
    assert meta['base_model'] == 'tiny' and meta['sft']['init_from'] == str(tmp_path/'prep_sft')
    monkeypatch.setenv('TRAIN_SAMPLES', 'many')
    with pytest.raises(LabError, match="TRAIN_SAMPLES='many' is not a whole number"):
        train_sft('tiny', 'arithmetic', output_dir=tmp_path/'x', **TINY)

def test_special_tokens_train_and_are_saved(tmp_path):
    "The working-out tags and mul tokens are new rows: they train and come back with the adapter."
    out = tmp_path/'mul'
    train_sft('tiny', 'arithmetic', format='working_out', task_config={'tier': [2], 'mul_tokens': True},
              train_samples=32, epochs=2, output_dir=out, **TINY)
    before, tok0 = load_model('tiny', special_tokens=['<SOLUTION>', '<MUL_7_8_56>'])
    after, tok1 = load_model(out)
    for t in ('<SOLUTION>', '<MUL_7_8_56>'):
        i0, i1 = tok0.convert_tokens_to_ids(t), tok1.convert_tokens_to_ids(t)
        assert i1 == tok1.get_vocab()[t]
        w0 = before.get_input_embeddings().weight[i0]
        w1 = after.get_input_embeddings().weight[i1]                        # peft returns the trained rows merged in
        assert not torch.allclose(w0, w1), t                                # the row moved away from its mean init

def test_traces_file(tmp_path):
    traces = tmp_path/'traces.jsonl'
    with open(traces, 'w') as f:
        for i in range(1, 13): f.write(json.dumps({'question': f'What is {i} plus {i}?', 'answer': f'{i} + {i} = {2*i}.\n\n#### {2*i}'}) + '\n')
    r = train_sft('tiny', 'word_problems', format='gsm', traces_file=traces, train_samples=10, output_dir=tmp_path/'tr', **TINY)
    assert r['train']['examples'] == 10
    assert read_json(tmp_path/'tr'/'run.json')['params']['traces_file'] == str(traces)
    (tmp_path/'bad.jsonl').write_text('{"question": "q", "answer": "no final line"}\n')
    with pytest.raises(LabError, match='line 1: the answer has no'):
        train_sft('tiny', 'word_problems', traces_file=tmp_path/'bad.jsonl', output_dir=tmp_path/'bad', **TINY)
    assert not (tmp_path/'bad'/'run.json').exists()                       # nothing written for a bad input

KILLED = textwrap.dedent('''
    import os, signal, sys
    from transformers import TrainerCallback
    from curriculum_lab.sft import train_sft
    class KillAfterSave(TrainerCallback):
        def on_save(self, args, state, control, **kw):
            if state.global_step == 4: os.kill(os.getpid(), signal.SIGKILL)   # a real kill, right after checkpoint-4
    train_sft('tiny', 'arithmetic', train_samples=64, epochs=1, save_steps=2, output_dir=sys.argv[1], eval_samples=4,
              eval_max_new_tokens=8, max_length=128, batch_size=8, learning_rate=3e-3, progress=False, callbacks=[KillAfterSave()])
''')

def test_killed_run_resumes_from_its_checkpoint(tmp_path):
    out = tmp_path/'killed'
    p = subprocess.run([sys.executable, '-c', KILLED, str(out)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    assert read_json(out/'run.json')['status'] == 'running'                # killed: never marked finished
    assert (out/'checkpoints'/'checkpoint-4').is_dir() and not (out/'model'/'adapter_config.json').exists()
    kw = dict(train_samples=64, epochs=1, save_steps=2, **TINY)
    r = train_sft('tiny', 'arithmetic', output_dir=out, **kw)
    assert r['status'] == 'resumed' and r['train']['resumed_from'].endswith('checkpoint-4') and r['train']['steps'] == 8
    run = read_json(out/'run.json')
    assert run['status'] == 'completed' and run['history'][-1]['status'] == 'running' and run['history'][-1]['run_id'] == run['run_id']
    # the resumed run ends where an uninterrupted one does: same data order, optimizer and schedule
    ref = train_sft('tiny', 'arithmetic', output_dir=tmp_path/'straight', **kw)
    assert [round(x, 4) for x in _losses(out)] == [round(x, 4) for x in _losses(tmp_path/'straight')]
    assert r['train']['final_loss'] == pytest.approx(ref['train']['final_loss'], abs=1e-4)
    # a completed run is not redone; different training parameters are refused
    assert train_sft('tiny', 'arithmetic', output_dir=out, **kw)['status'] == 'skipped'
    with pytest.raises(LabError, match='other parameters .*epochs: 1 -> 2'):
        train_sft('tiny', 'arithmetic', output_dir=out, **{**kw, 'epochs': 2})
    with pytest.raises(LabError, match=r'other parameters \(learning_rate: 0\.003 -> 0\.001\).*another output_dir'):
        train_sft('tiny', 'arithmetic', output_dir=out, **{**kw, 'learning_rate': 1e-3})

def test_recompute_checkpoints_activations_and_keeps_the_losses(tmp_path):
    "recompute=True (seed002's long ARC traces): the trainer runs with activation checkpointing on a CPU, and the step losses equal a run without it."
    from transformers import TrainerCallback
    seen = {}
    class Look(TrainerCallback):
        def on_step_begin(self, args, state, control, model=None, **kw):
            seen.setdefault(state.global_step, (args.gradient_checkpointing, model.is_gradient_checkpointing))
    kw = dict(train_samples=16, eval_samples=0, max_length=128, batch_size=8, learning_rate=3e-3, progress=False)
    train_sft('tiny', 'arithmetic', output_dir=tmp_path/'plain', **kw)
    train_sft('tiny', 'arithmetic', output_dir=tmp_path/'recompute', recompute=True, callbacks=[Look()], **kw)
    assert seen and all(v == (True, True) for v in seen.values()), seen
    plain, rec = _losses(tmp_path/'plain'), _losses(tmp_path/'recompute')
    assert len(plain) == len(rec) == 2 and rec == pytest.approx(plain, rel=1e-4), (plain, rec)
    assert read_json(tmp_path/'recompute'/'run.json')['params']['recompute'] is True

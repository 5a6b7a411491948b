"Curriculum SFT on the tiny model: the notebook under papermill, stage directories, loss, resume, validation errors."
import csv, json
from pathlib import Path

import papermill as pm
import pytest
import yaml

from curriculum_lab.runs import run_notebook   # the stage cells, as a run executes them (nbdev_test runs the lessons)
from curriculum_lab.core import LabError, read_json
from curriculum_lab.curriculum import load_curriculum, run_curriculum

ROOT = Path(__file__).resolve().parents[1]
NB = str(ROOT/'nbs'/'31_curriculum.ipynb')

STAGES = {
    'facts': {'data': {'task': 'arithmetic', 'config': {'tier': [1, 2]}, 'n': 32}, 'epochs': 2, 'learning_rate': 3e-3,
              'batch_size': 8, 'max_length': 128},
    'drills': {'data': [{'task': 'arithmetic', 'config': {'tier': [3, 4]}, 'n': 24}, {'task': 'arithmetic', 'config': {'tier': [2]}, 'n': 4, 'upsample': 2}],
               'epochs': 2, 'learning_rate': 3e-3, 'batch_size': 8, 'max_length': 128},
    'words': {'data': [{'task': 'word_problems', 'n': 32}], 'epochs': 2, 'learning_rate': 3e-3, 'batch_size': 8, 'max_length': 160},
}
def _yaml(tmp_path, stages, name='tiny3'):
    cfg = {'name': name, 'base_model': 'tiny', 'format': 'gsm', 'lora': {'r': 8, 'alpha': 16},
           'conditions': {'baseline': {}, 'mul_tokens': {'task_config': {'mul_tokens': True}}},
           'eval': [{'name': 'probes', 'task': 'arithmetic_probes', 'config': {'categories': ['mul_table']}, 'n': 6, 'max_new_tokens': 8}],
           'stages': {k: STAGES[k] for k in stages}}
    p = tmp_path/f'{name}.yaml'; p.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return p

def _run_nb(tmp_path, **params):
    pm.execute_notebook(run_notebook(NB), str(tmp_path/'out.ipynb'), parameters=params, progress_bar=False, kernel_name='python3',
                        cwd=str(ROOT/'nbs'))

def test_three_stage_curriculum_through_papermill(tmp_path):
    out = tmp_path/'cur'
    _run_nb(tmp_path, config=str(_yaml(tmp_path, ['facts', 'drills', 'words'])), condition='mul_tokens', output_dir=str(out))
    prev = 'tiny'
    for name, n in (('facts', 32), ('drills', 32), ('words', 32)):
        sd = out/f'stage_{name}'
        assert read_json(sd/'run.json')['status'] == 'completed'
        res = read_json(sd/'sft_results.json')
        assert res['examples'] == n and res['init_from'] == prev and res['condition'] == 'mul_tokens'
        curve = [loss for _, loss in res['loss_curve']]
        assert len(curve) == 8 and curve[-1] < curve[0], (name, curve)          # the loss fell in every stage
        assert res['eval']['probes']['n'] == 6
        assert (sd/'model'/'adapter_config.json').exists() and (sd/'loss_curve.png').exists()
        prev = str(sd)
    # mul tokens were in the data: the first stage's adapter added them, the later stages continued it
    meta = read_json(out/'stage_words'/'model'/'curriculum_lab.json')
    assert '<MUL_7_8_56>' in meta['special_tokens'] and read_json(out/'stage_words'/'run.json')['adapter'] == 'continued'
    res = read_json(out/'stage_drills'/'sft_results.json')
    assert [s['total'] for s in res['sources']] == [24, 8]                      # the review source upsampled 2x
    rows = list(csv.DictReader(open(out/'summary.csv')))
    assert [r['model'] for r in rows] == ['base', 'stage_facts', 'stage_drills', 'stage_words']
    assert (out/'summary.md').read_text().count('\n| stage_') == 3

def test_resume_keeps_completed_stages(tmp_path):
    out = tmp_path/'cur'
    run_curriculum(_yaml(tmp_path, ['facts'], 'grow'), output_dir=out, progress=False)
    before = (out/'stage_facts'/'run.json').read_text()
    r = run_curriculum(_yaml(tmp_path, ['facts', 'words'], 'grow'), output_dir=out, progress=False)
    assert (out/'stage_facts'/'run.json').read_text() == before                 # not retrained, not re-evaluated
    assert read_json(out/'stage_words'/'sft_results.json')['init_from'] == str(out/'stage_facts')
    assert r['final_model'] == str(out/'stage_words') and len(r['rows']) == 3
    # a changed stage on the same folder is refused instead of mixing two runs
    changed = yaml.safe_load(_yaml(tmp_path, ['facts'], 'grow').read_text())
    changed['stages']['facts']['learning_rate'] = 1e-3
    with pytest.raises(LabError, match=r'stage_facts holds a run with other parameters \(learning_rate: 0\.003 -> 0\.001\)'):
        run_curriculum(changed, output_dir=out, progress=False)

def test_bad_curriculum_is_an_error_before_training(tmp_path):
    p = tmp_path/'bad.yaml'
    p.write_text('stages:\n  facts:\n    data: {task: arithmetic, n: 8}\n    batch_size: eight\n')
    with pytest.raises(pm.PapermillExecutionError, match=r"bad.yaml: stages.facts.batch_size='eight': Input should be a valid integer"):
        _run_nb(tmp_path, config=str(p), output_dir=str(tmp_path/'o'))
    assert not (tmp_path/'o').exists()
    p.write_text('stages:\n  facts:\n    data: {task: arithmetic, n: 8\n')
    with pytest.raises(LabError, match='malformed YAML at line'):
        load_curriculum(p)
    with pytest.raises(LabError, match="unknown condition 'mul'"):
        run_curriculum(_yaml(tmp_path, ['facts']), condition='mul', output_dir=tmp_path/'o2')

def test_full_fine_tuning_curriculum(tmp_path):
    "lora: none trains every weight at each stage; the next stage starts from the previous stage's full model."
    p = tmp_path/'full.yaml'
    cfg = yaml.safe_load(_yaml(tmp_path, ['facts', 'words']).read_text())
    cfg['lora'] = 'none'
    for s in cfg['stages'].values(): s['data'] = (s['data'] if isinstance(s['data'], list) else [s['data']])[:1]; s['data'][0]['n'] = 8; s['epochs'] = 1
    p.write_text(yaml.safe_dump(cfg, sort_keys=False))
    assert load_curriculum(p).lora == 'none'
    out = tmp_path/'o'
    run_curriculum(p, condition='baseline', output_dir=out, progress=False)
    for stage in ('facts', 'words'):
        d = next(out.rglob(f'*{stage}*/model'))
        assert (d/'config.json').exists() and not (d/'adapter_config.json').exists(), stage
        assert read_json(d.parent/'run.json')['params']['lora'] == 'none'
    assert read_json(next(out.rglob('*words*/run.json')))['params']['base_model'].endswith('facts')
    cfg['lora'] = 'nope'; p.write_text(yaml.safe_dump(cfg, sort_keys=False))
    with pytest.raises(LabError, match="lora"):
        load_curriculum(p)

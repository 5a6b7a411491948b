"Rewards inside TRL's GRPOTrainer, and the never-raises property under hypothesis."
import math
import pytest
from hypothesis import given, settings, strategies as st

from curriculum_lab.rewards import ALL_REWARDS, combine_rewards, lowest_value, REWARD_SCORES
from curriculum_lab.tasks import get_task
import curriculum_lab.arc_programs   # registers arc_program_reward: every registered reward is checked, whatever ran before

junk = st.one_of(st.none(), st.text(max_size=300), st.binary(max_size=100), st.integers(), st.floats(),
                 st.lists(st.dictionaries(st.sampled_from(['role', 'content', 'x']), st.one_of(st.text(max_size=50), st.integers())), max_size=3),
                 st.just('<SOLUTION>' * 3000), st.just('{"output": ' * 300), st.just('\\boxed{' * 300))

@settings(max_examples=80, deadline=None)
@given(st.lists(junk, min_size=1, max_size=4), st.one_of(st.none(), st.text(max_size=20), st.integers(), st.just('{')),
       st.sampled_from(['strings', 'arithmetic', 'nope', None]))
def test_rewards_never_raise(completions, answer, task):
    n = len(completions)
    for name, f in ALL_REWARDS.items():
        out = f(completions=completions, answer=[answer] * n, task=[task] * n,
                task_config=['{"format": "gsm"}'] * n, completion_ids=[[1, 2, 3]] * n)
        assert len(out) == n and all(isinstance(v, float) and math.isfinite(v) for v in out)
        assert all(v >= lowest_value(name, REWARD_SCORES[name]) for v in out)

def test_every_reward_runs_inside_grpo_trainer(tmp_path):
    "Two GRPO steps on tiny: each reward sees its own prompt's columns, and what the trainer logs is the mean of its values."
    import json
    from trl import GRPOConfig, GRPOTrainer
    from curriculum_lab.models import load_model
    task = get_task('arithmetic', tier=1, format='gsm')
    ds = task.make_dataset(8, seed=0)
    answer_of = {json.dumps(p): a for p, a in zip(ds['prompt'], ds['answer'])}
    model, tok = load_model('tiny', lora=dict(r=4), special_tokens=task.special_tokens)
    fns, ws = combine_rewards({n: 1.0 for n in ALL_REWARDS})
    calls = {f.__name__: [] for f in fns}
    def spy(f):
        def reward(completions=None, **kw):
            out = f(completions=completions, **kw)
            calls[f.__name__].append((completions, kw, out))
            return out
        reward.__name__ = f.__name__
        return reward
    args = GRPOConfig(output_dir=str(tmp_path), use_cpu=True, bf16=False, per_device_train_batch_size=4,
                      num_generations=4, max_completion_length=12, max_steps=2, logging_steps=1, report_to=[],
                      reward_weights=ws, save_strategy='no', seed=0)
    tr = GRPOTrainer(model=model, processing_class=tok, reward_funcs=[spy(f) for f in fns], args=args, train_dataset=ds)
    tr.train()
    assert tr.state.global_step == 2
    steps = [e for e in tr.state.log_history if 'rewards/correctness_reward/mean' in e]
    for name, f in zip(calls, fns):
        assert len(calls[name]) == 2, name                       # one call per step (1 prompt x 4 completions)
        for (comps, kw, out), logged in zip(calls[name], steps):
            assert kw['task'] == ['arithmetic'] * 4 and kw['task_config'] == [task.config_json] * 4
            assert kw['answer'] == [answer_of[json.dumps(p)] for p in kw['prompts']]   # each completion's own prompt's answer
            assert logged[f'rewards/{name}/mean'] == pytest.approx(sum(out) / len(out), abs=1e-5)

def test_arc_program_reward_inside_grpo_trainer(tmp_path):
    "Seed 002's shaped reward through GRPOTrainer on small ARC tasks (tiny model: junk programs, lowest rewards)."
    from trl import GRPOConfig, GRPOTrainer
    from curriculum_lab.models import load_model
    from curriculum_lab.arc_programs import arc_program_reward
    from curriculum_lab.rewards import format_approx_reward
    task = get_task('arc_program', format='gsm')
    ds = task.make_dataset(None, 'train')
    ds = ds.filter(lambda r: r['height'] <= 5 and r['width'] <= 5).select(range(4))
    model, tok = load_model('tiny', lora=dict(r=4))
    args = GRPOConfig(output_dir=str(tmp_path), use_cpu=True, bf16=False, per_device_train_batch_size=4,
                      num_generations=4, max_completion_length=8, max_steps=2, logging_steps=1, report_to=[],
                      save_strategy='no', seed=0)
    tr = GRPOTrainer(model=model, processing_class=tok, reward_funcs=[arc_program_reward, format_approx_reward],
                     args=args, train_dataset=ds)
    tr.train()
    logged = {k for entry in tr.state.log_history for k in entry}
    assert 'rewards/arc_program_reward/mean' in logged and tr.state.global_step == 2
    # and the reward itself on reference programs vs junk
    rows = {k: [ds[0][k]] * 2 for k in ds.column_names}
    assert arc_program_reward(completions=[task.reference_completion(ds[0]), 'junk'], **rows) == [1.2, 0.0]

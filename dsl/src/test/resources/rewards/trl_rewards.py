# Reward functions in TRL's convention, written for grpo4j's tests (standard library only).
import json
import math
import re


def _text(completion):
    # conversational data gives [{"role": "assistant", "content": ...}] per completion
    return completion[0]["content"] if isinstance(completion, list) else completion


def format_reward(completions, **kwargs):
    pattern = r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$"
    return [1.0 if re.match(pattern, _text(c), re.DOTALL | re.MULTILINE) else 0.0 for c in completions]


def exact_answer(completions, solution, **kwargs):
    out = []
    for c, gold in zip(completions, solution):
        m = re.search(r"<answer>\s*(.*?)\s*</answer>", _text(c), re.DOTALL)
        out.append(None if gold is None else float(m is not None and m.group(1) == str(gold)))
    return out


def sees_everything(completions, prompts, completion_ids, difficulty, **kwargs):
    # one number that encodes what the function was given, checked by the test
    return [len(p if isinstance(p, str) else json.dumps(p)) * 1000 + len(ids) * 10 + d
            for p, ids, d in zip(prompts, completion_ids, difficulty)]


def conversational(completions, prompts, **kwargs):
    return [1.0 if isinstance(c, list) and c[0]["role"] == "assistant" and prompts[i][-1]["role"] == "user" else 0.0
            for i, c in enumerate(completions)]


def maybe(completions, **kwargs):
    return [None if "skip" in _text(c) else math.sqrt(len(_text(c))) for c in completions]


def fragile(completions, **kwargs):
    return [1.0 / (len(_text(c)) - 3) for c in completions]


def too_few(completions, **kwargs):
    return [1.0] * (len(completions) - 1)


def not_a_list(completions, **kwargs):
    return 1.0


def wrong_type(completions, **kwargs):
    return ["yes" for c in completions]


def spins(completions, **kwargs):
    while True: pass


def get_length_reward(scale=1.0):
    def length_reward(completions, **kwargs):
        return [scale * len(_text(c)) for c in completions]
    return length_reward

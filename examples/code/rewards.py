# Reward functions in TRL's calling convention: f(completions, **kwargs) -> list[float | None].
# grpo4j runs them unchanged in GraalPy (python("examples/code/rewards.py", "format_reward") in a script,
# "rewards.py:format_reward" in a YAML recipe's reward_funcs). Standard library only.
import re


def _text(completion):
    # conversational data sets give [{"role": "assistant", "content": ...}] per completion
    return completion[0]["content"] if isinstance(completion, list) else completion


def format_reward(completions, **kwargs):
    """1.0 for <think>\\n...\\n</think>\\n<answer>\\n...\\n</answer>, else 0.0 (open-r1's format_reward)."""
    pattern = r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$"
    return [1.0 if re.match(pattern, _text(c), re.DOTALL | re.MULTILINE) else 0.0 for c in completions]


def reads_input(completions, verification_info=None, **kwargs):
    """0.2 when the last ```python block reads stdin at all; None (not applicable) for rows without tests."""
    out = []
    for i, c in enumerate(completions):
        if verification_info is None or verification_info[i] is None:
            out.append(None)
            continue
        blocks = re.findall(r"```python\n(.*?)```", _text(c), re.DOTALL)
        code = blocks[-1] if blocks else ""
        out.append(0.2 if ("input(" in code or "sys.stdin" in code) else 0.0)
    return out


def get_length_penalty(limit=400, per_char=0.001):
    """A factory, as open-r1 writes them: python("rewards.py", "get_length_penalty(limit=300)")."""
    def length_penalty(completions, **kwargs):
        excess = [len(_text(c)) - limit for c in completions]
        return [-per_char * e if e > 0 else 0.0 for e in excess]
    return length_penalty

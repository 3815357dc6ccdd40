#!/usr/bin/python3
"""advantage_oracle.py -- float64 cases of verl's outcome advantage estimators (rloo, reinforce_plus_plus, remax)
on ragged batches, and of verl's KL estimators (k1, abs, k2/mse, k3/low_var_kl) with their gradient.

Run:   /usr/bin/python3 tools/oracle/advantage_oracle.py --out runtime/src/test/resources/oracle/advantages
Writes cases.json; every number is a float64 printed with Python's repr (exact round trip).

The estimators are written here the way verl's core_algos.py computes them, at token level: a (B, T) tensor of
token rewards holding each completion's sequence reward on its last token (padding after it), a response mask
from the ragged lengths, rloo's per-index loop over the summed scores, reinforce++'s reversed discounted return
loop (gamma = 1) followed by masked_whiten over the whole batch (masked mean with +1e-8 on the count, unbiased
variance, rsqrt(var + 1e-8)), remax's reversed cumulative sum minus the baseline. The Java side computes one
advantage per completion; the test checks every token of a completion carries it and padding carries 0.
KL: verl's kl_penalty_forward(logprob, ref_logprob, type) and its derivative by logprob (autograd): k1/kl,
abs, k2/mse, low_var_kl (verl's k3: log-ratio clamped to [-20, 20], result to [-10, 10]); k3 is TRL's unclamped
form (grpo4j's default kl_loss_type).
KL in the reward (use_kl_in_reward) for every estimator without a critic: kl_in_reward_cases (its docstring).
"""
import argparse
import os
import sys
from collections import defaultdict

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle_io import dump_json  # noqa: E402

DT = torch.float64


def token_rewards(rewards, lengths):
    B, T = len(rewards), max(lengths)
    tr = torch.zeros(B, T, dtype=DT)
    mask = torch.zeros(B, T, dtype=DT)
    for i, (r, L) in enumerate(zip(rewards, lengths)):
        mask[i, :L] = 1.0
        tr[i, L - 1] = r
    return tr, mask


def rloo(tr, mask, index):
    scores = tr.sum(dim=-1)
    id2score, id2mean = defaultdict(list), {}
    for i in range(scores.shape[0]):
        id2score[index[i]].append(scores[i])
    for idx, s in id2score.items():
        id2mean[idx] = torch.tensor(0.0, dtype=DT) if len(s) == 1 else torch.mean(torch.stack(s))
    out = scores.clone()
    for i in range(scores.shape[0]):
        n = len(id2score[index[i]])
        if n > 1:
            out[i] = scores[i] * n / (n - 1) - id2mean[index[i]] * n / (n - 1)
    return out.unsqueeze(-1) * mask


def masked_mean(v, m):
    return (v * m).sum() / (m.sum() + 1e-8)


def masked_whiten(v, m):
    mean = masked_mean(v, m)
    var = masked_mean((v - mean) ** 2, m)
    n = m.sum()
    var = var * n / (n - 1)
    return (v - mean) * torch.rsqrt(var + 1e-8)


def reinforce_returns(tr, mask, gamma):
    returns = torch.zeros_like(tr)
    running = torch.zeros(tr.shape[0], dtype=DT)
    for t in reversed(range(tr.shape[1])):
        running = tr[:, t] + gamma * running
        returns[:, t] = running
        running = running * mask[:, t]
    return returns


def reinforce_plus_plus(tr, mask, gamma=1.0):
    return masked_whiten(reinforce_returns(tr, mask, gamma), mask) * mask


def remax(tr, mask, baselines):
    returns = (tr * mask).flip(dims=[-1]).cumsum(dim=-1).flip(dims=[-1])
    return returns - baselines.unsqueeze(-1) * mask


def kl_forward(logp, ref, kind):
    if kind in ("kl", "k1"):
        return logp - ref
    if kind == "abs":
        return (logp - ref).abs()
    if kind in ("mse", "k2"):
        return 0.5 * (logp - ref).square()
    if kind == "k3":  # TRL's k3 (GRPOTrainer), unclamped
        d = ref - logp
        return torch.exp(d) - d - 1
    if kind == "low_var_kl":  # verl's k3 (verl spells it k3 too), clamped
        kl = torch.clamp(ref - logp, min=-20, max=20)
        return torch.clamp(torch.exp(kl) - kl - 1, min=-10, max=10)
    raise ValueError(kind)


def rows(t, lengths):
    return [[float(x) for x in t[i, :max(lengths)].tolist()] for i in range(t.shape[0])]


def advantage_cases(gen):
    cases = []
    specs = [  # (name, groups, G, ties)
        ("g3x4-ragged", 3, 4, False),
        ("g2x5-ties", 2, 5, True),
        ("g4x1-lone", 4, 1, False),
        ("g1x8-binary", 1, 8, True),
        ("g5x3-ragged", 5, 3, False),
    ]
    for name, groups, G, ties in specs:
        B = groups * G
        lengths = [int(x) for x in torch.randint(1, 9, (B,), generator=gen)]
        if ties:
            rewards = [float(x) for x in torch.randint(0, 2, (B,), generator=gen).to(DT)]
        else:
            rewards = [float(x) for x in (torch.randn(B, generator=gen, dtype=DT) * 1.5 + 0.3)]
        baselines = [float(x) for x in torch.randn(groups, generator=gen, dtype=DT)]
        index = [i // G for i in range(B)]
        tr, mask = token_rewards(rewards, lengths)
        b = torch.tensor(baselines, dtype=DT).repeat_interleave(G)
        cases.append({
            "name": name, "num_generations": G, "rewards": rewards, "lengths": lengths, "baselines": baselines,
            "rloo": rows(rloo(tr, mask, index), lengths),
            "reinforce_plus_plus": rows(reinforce_plus_plus(tr, mask), lengths),
            "remax": rows(remax(tr, mask, b), lengths),
        })
    return cases


def grpo_trl(scores, index, scale):
    """TRL's group normalisation (grpo4j's grpo): (s - mean_g) / (std_g + 1e-4), std unbiased; none: s - mean_g."""
    out = torch.zeros_like(scores)
    for g in sorted(set(index)):
        rows = [i for i in range(len(index)) if index[i] == g]
        s = scores[rows]
        std = s.std() if len(rows) > 1 else torch.tensor(0.0, dtype=DT)
        out[rows] = (s - s.mean()) / (std + 1e-4) if scale == "group" else s - s.mean()
    return out


def kl_in_reward_cases(gen):
    """use_kl_in_reward for every estimator: apply_kl_penalty (kld = kl_penalty(old, ref) * mask, rewards = scores -
    beta * kld, current_kl = mean over rows of each row's masked mean), then verl's compute_advantage on those token
    rewards: rloo and grpo (TRL's normalisation, grpo4j's grpo) on token_level_rewards.sum(-1), reinforce_plus_plus's
    discounted returns (gamma) whitened over the batch, remax's reward-to-go minus the greedy baseline. Padding
    log-probs are random: the mask must keep them out."""
    cases = []
    specs = [  # (name, groups, G, kl_penalty, beta, gamma, scale_rewards)
        ("g3x4-kl", 3, 4, "kl", 0.05, 1.0, "group"),
        ("g2x5-low_var_kl-gamma0.9", 2, 5, "low_var_kl", 0.2, 0.9, "group"),
        ("g4x2-mse-none", 4, 2, "mse", 0.5, 1.0, "none"),
        ("g1x6-abs-gamma0.99", 1, 6, "abs", 0.1, 0.99, "group"),
    ]
    for name, groups, G, kind, beta, gamma, scale in specs:
        B = groups * G
        lengths = [int(x) for x in torch.randint(1, 9, (B,), generator=gen)]
        T = max(lengths)
        scores = torch.randint(0, 2, (B,), generator=gen).to(DT) if "g2x5" in name else torch.randn(B, generator=gen, dtype=DT)
        old = -torch.rand(B, T, generator=gen, dtype=DT) * 3.0
        ref = old + torch.randn(B, T, generator=gen, dtype=DT) * 0.7
        baselines = torch.randn(groups, generator=gen, dtype=DT)
        index = [i // G for i in range(B)]
        tr, mask = token_rewards([float(x) for x in scores], lengths)
        kld = kl_forward(old, ref, kind) * mask
        tr = tr - beta * kld
        current = torch.mean((kld * mask).sum(dim=-1) / (mask.sum(dim=-1) + 1e-8))
        ret = reinforce_returns(tr, mask, gamma)
        rpp = masked_whiten(ret, mask) * mask
        seq = tr.sum(dim=-1)
        b = baselines.repeat_interleave(G)
        cases.append({
            "name": name, "num_generations": G, "kl_penalty": kind, "beta": beta, "gamma": gamma, "scale_rewards": scale,
            "lengths": lengths, "scores": [float(x) for x in scores], "baselines": [float(x) for x in baselines],
            "old_logp": rows(old, lengths), "ref_logp": rows(ref, lengths),
            "token_rewards": rows(tr * mask, lengths), "current_kl": float(current),
            "sequence_rewards": [float(x) for x in seq],
            "grpo": [float(x) for x in grpo_trl(seq, index, scale)],
            "rloo": rows(rloo(tr, mask, index), lengths),
            "reinforce_plus_plus": rows(rpp, lengths), "reinforce_plus_plus_returns": rows(ret * mask, lengths),
            "remax": rows(remax(tr, mask, b), lengths),
        })
    return cases


def kl_cases(gen):
    logp = -torch.rand(24, generator=gen, dtype=DT) * 4.0
    ref = logp + torch.randn(24, generator=gen, dtype=DT) * 0.8
    ref[0] = logp[0] + 25.0  # low_var_kl's clamps: log-ratio 25 > 20, and exp(20) - 21 > 10
    ref[1] = logp[1] - 25.0
    ref[2] = logp[2] + 2.5   # k3 = e^2.5 - 3.5 ≈ 8.68: inside both clamps
    ref[3] = logp[3] + 3.0   # k3 = e^3 - 4 ≈ 16.1: low_var_kl clamps it to 10
    ref[4] = logp[4]         # x = 0: abs's gradient is 0 there, as torch
    out = []
    for kind in ("k1", "kl", "abs", "k2", "mse", "k3", "low_var_kl"):
        x = logp.clone().requires_grad_(True)
        v = kl_forward(x, ref, kind)
        v.sum().backward()
        out.append({"kl_loss_type": kind, "logp": [float(a) for a in logp], "ref_logp": [float(a) for a in ref],
                    "kl": [float(a) for a in v.detach()], "dkl_dlogp": [float(a) for a in x.grad]})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    gen = torch.Generator().manual_seed(19)
    data = {"advantages": advantage_cases(gen), "kl": kl_cases(gen), "kl_in_reward": kl_in_reward_cases(gen)}
    path = os.path.join(args.out, "cases.json")
    dump_json(path, data)
    import json
    with open(path) as f:
        assert json.load(f) == data, "cases.json does not read back exactly"
    print(f"wrote {path}: {len(data['advantages'])} advantage cases, {len(data['kl'])} KL types, "
          f"{len(data['kl_in_reward'])} KL-in-reward cases")


if __name__ == "__main__":
    main()

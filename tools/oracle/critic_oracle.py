#!/usr/bin/python3
"""critic_oracle.py -- float64 cases of PPO's critic arithmetic as verl computes it: GAE advantages and returns on
ragged batches (compute_gae_advantage_return with its response mask, then masked_whiten over the batch), and the
clipped value loss (compute_value_loss, token-mean) with its gradient by autograd.

Run:   /usr/bin/python3 tools/oracle/critic_oracle.py --out runtime/src/test/resources/oracle/critic
Writes cases.json; every number is a float64 printed with Python's repr (exact round trip).

GAE is written the way verl's current core_algos.py does it: a padded (B, T) batch, the sequence reward on each
completion's last token, a reversed loop over t where padding (response mask 0) neither updates the next value
nor the running advantage, returns = advantages + values, then masked_whiten (masked mean with +1e-8 on the count,
unbiased variance, rsqrt(var + 1e-8)). A completion without a reward is a row whose response mask is all 0: it
gets no advantage and stays out of the whitening (listed in 'missing'; the Java side gives it a NaN reward). Padding values are random: the mask must keep them out.
The value loss: vpredclipped = max(min(vpreds, values + c), values - c) (verl's clip_by_value), losses
max((vpreds - R)^2, (vpredclipped - R)^2), 0.5 * masked mean; vf_clipfrac = masked mean of [clipped > unclipped].
KL in the reward (apply_kl_penalty): kld = kl_penalty(old_log_probs, ref_log_prob) * mask, token rewards =
scores - beta * kld, current_kl = mean over rows of each row's masked mean; then GAE on those rewards. The
adaptive controller (AdaptiveKLController.update): beta *= 1 + clip(kl / target - 1, -0.2, 0.2) * n / horizon.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle_io import dump_json  # noqa: E402
from advantage_oracle import kl_forward, masked_mean, masked_whiten  # noqa: E402  (verl's helpers, written once)

DT = torch.float64


def gae(token_rewards, values, mask, gamma, lam):
    B, T = token_rewards.shape
    nextvalues = torch.zeros(B, dtype=DT)
    lastgaelam = torch.zeros(B, dtype=DT)
    rev = []
    for t in reversed(range(T)):
        delta = token_rewards[:, t] + gamma * nextvalues - values[:, t]
        new = delta + gamma * lam * lastgaelam
        nextvalues = values[:, t] * mask[:, t] + (1 - mask[:, t]) * nextvalues
        lastgaelam = new * mask[:, t] + (1 - mask[:, t]) * lastgaelam
        rev.append(lastgaelam)
    adv = torch.stack(rev[::-1], dim=1)
    returns = adv + values
    return masked_whiten(adv, mask), returns


def gae_cases(gen):
    cases = []
    specs = [  # (name, B, gamma, lam, missing rewards)
        ("b6-orz-lam1-gamma1", 6, 1.0, 1.0, []),
        ("b8-trl-lam0.95", 8, 1.0, 0.95, [3]),
        ("b5-discounted", 5, 0.9, 0.8, []),
        ("b7-lam0-td", 7, 0.99, 0.0, [0, 6]),
        ("b3-one-token-rows", 3, 1.0, 0.95, []),
    ]
    for name, B, gamma, lam, missing in specs:
        lengths = [int(x) for x in torch.randint(1, 10, (B,), generator=gen)]
        if name.startswith("b3"):
            lengths = [1, 1, 2]
        T = max(lengths)
        rewards = [float(x) for x in torch.randn(B, generator=gen, dtype=DT)]
        values = torch.randn(B, T, generator=gen, dtype=DT) * 0.7
        mask = torch.zeros(B, T, dtype=DT)
        tr = torch.zeros(B, T, dtype=DT)
        for i, L in enumerate(lengths):
            if i in missing:
                continue
            mask[i, :L] = 1.0
            tr[i, L - 1] = rewards[i]
        adv, ret = gae(tr, values, mask, gamma, lam)
        cases.append({
            "name": name, "gamma": gamma, "lam": lam, "lengths": lengths,
            "rewards": rewards, "missing": missing,
            "values": [[float(x) for x in values[i, :lengths[i]]] for i in range(B)],
            "advantages": [[float(x) for x in (adv * mask)[i, :lengths[i]]] for i in range(B)],
            "returns": [[float(x) for x in ret[i, :lengths[i]]] for i in range(B)],
        })
    return cases


def value_loss_cases(gen):
    cases = []
    for name, n, clip, scale in (("c0.2-mixed", 40, 0.2, 1.0), ("c0.5-scaled", 30, 0.5, 0.05), ("c0.1-masked", 25, 0.1, 0.25)):
        old = torch.randn(n, generator=gen, dtype=DT)
        vpreds = old + torch.randn(n, generator=gen, dtype=DT) * clip * 1.5  # about half beyond the clip range
        returns = old + torch.randn(n, generator=gen, dtype=DT)
        mask = (torch.rand(n, generator=gen, dtype=DT) > (0.3 if "masked" in name else 0.0)).to(DT)
        v = vpreds.clone().requires_grad_(True)
        clipped = torch.max(torch.min(v, old + clip), old - clip)
        l1 = (v - returns) ** 2
        l2 = (clipped - returns) ** 2
        loss = 0.5 * masked_mean(torch.max(l1, l2), mask)
        clipfrac = masked_mean(torch.gt(l2, l1).to(DT), mask)
        (loss * scale).backward()
        cases.append({"name": name, "cliprange_value": clip, "scale": scale, "vpreds": [float(x) for x in vpreds],
                      "values": [float(x) for x in old], "returns": [float(x) for x in returns], "mask": [float(x) for x in mask],
                      "vf_loss": float(loss), "vf_clipfrac": float(clipfrac), "grad": [float(x) for x in v.grad]})
    return cases


def kl_reward_cases(gen):
    cases = []
    lengths = [3, 1, 5, 4, 2, 6]
    B, T = len(lengths), max(lengths)
    mask = torch.zeros(B, T, dtype=DT)
    for i, L in enumerate(lengths):
        mask[i, :L] = 1.0
    old = -torch.rand(B, T, generator=gen, dtype=DT) * 3.0
    ref = old + torch.randn(B, T, generator=gen, dtype=DT) * 0.6
    ref[2, 1] = old[2, 1] + 23.0  # low_var_kl's clamps act here
    scores = torch.randn(B, generator=gen, dtype=DT)
    values = torch.randn(B, T, generator=gen, dtype=DT) * 0.5
    for kind, beta in (("kl", 0.05), ("abs", 0.1), ("mse", 0.2), ("low_var_kl", 0.01)):
        tr = torch.zeros(B, T, dtype=DT)
        for i, L in enumerate(lengths):
            tr[i, L - 1] = scores[i]
        kld = kl_forward(old, ref, kind) * mask
        tr = tr - beta * kld
        current = torch.mean(masked_mean_rows(kld, mask))
        adv, ret = gae(tr, values, mask, 1.0, 0.95)
        cases.append({"kl_penalty": kind, "beta": beta, "lengths": lengths, "scores": [float(x) for x in scores],
                      "old_logp": [[float(x) for x in old[i, :lengths[i]]] for i in range(B)],
                      "ref_logp": [[float(x) for x in ref[i, :lengths[i]]] for i in range(B)],
                      "values": [[float(x) for x in values[i, :lengths[i]]] for i in range(B)],
                      "token_rewards": [[float(x) for x in tr[i, :lengths[i]]] for i in range(B)],
                      "current_kl": float(current),
                      "advantages": [[float(x) for x in adv[i, :lengths[i]]] for i in range(B)],
                      "returns": [[float(x) for x in ret[i, :lengths[i]]] for i in range(B)]})
    return cases


def masked_mean_rows(v, m):
    return (v * m).sum(dim=-1) / (m.sum(dim=-1) + 1e-8)


def adaptive_controller_case():
    beta, target, horizon, n = 0.05, 0.1, 64, 16
    kls = [0.3, 0.02, 0.1, 0.12, 0.0, 0.09]
    betas = []
    for kl in kls:
        err = float(torch.clamp(torch.tensor(kl / target - 1, dtype=DT), -0.2, 0.2))
        beta *= 1 + err * n / horizon
        betas.append(beta)
    return {"kl_coef": 0.05, "target_kl": target, "kl_horizon": horizon, "sequences": n, "kls": kls, "betas": betas}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    gen = torch.Generator().manual_seed(1919)
    data = {"gae": gae_cases(gen), "value_loss": value_loss_cases(gen), "kl_reward": kl_reward_cases(gen),
            "adaptive_kl_ctrl": adaptive_controller_case()}
    path = os.path.join(args.out, "cases.json")
    dump_json(path, data)
    print(f"wrote {path}: {len(data['gae'])} GAE cases, {len(data['value_loss'])} value-loss cases")


if __name__ == "__main__":
    main()

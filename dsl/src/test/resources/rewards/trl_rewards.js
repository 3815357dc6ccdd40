// Reward functions in TRL's convention for JavaScript: f(completions, kwargs), written for grpo4j's tests.
function text(c) {
    return Array.isArray(c) ? c[0].content : c;
}

function format_reward(completions, kwargs) {
    const re = /^<think>\n[\s\S]*?\n<\/think>\n<answer>\n[\s\S]*?\n<\/answer>$/;
    return completions.map(c => re.test(text(c)) ? 1.0 : 0.0);
}

function exact_answer(completions, kwargs) {
    return completions.map((c, i) => {
        const m = /<answer>\s*([\s\S]*?)\s*<\/answer>/.exec(text(c));
        return kwargs.solution[i] === null ? null : (m !== null && m[1] === String(kwargs.solution[i]) ? 1 : 0);
    });
}

function fragile(completions, kwargs) {
    return completions.map(c => { if (text(c).length === 3) throw new Error("three characters"); return 1; });
}

function spins(completions, kwargs) {
    for (;;) {}
}

function lengthReward(scale) {
    return (completions, kwargs) => completions.map(c => scale * text(c).length);
}

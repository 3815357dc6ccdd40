#!/usr/bin/env python3
"""Writes verifier-eval.jsonl: (gold, prediction, expected) cases for measuring agreement with Math-Verify.

Each expected verdict is derived by hand from Math-Verify's documented behaviour (its README and FAQ, the docstrings
of parse/verify/LatexExtractionConfig/ExprExtractionConfig, and the extraction and comparison rules of its parser
and grader), written before the Java verifier was run on them and never adjusted to it. These cases are kept apart
from the unit tests; VerifierEvalTest reports the agreement and requires 95%.

mode "mv": verify(parse(gold), parse(pred)) with Math-Verify's defaults (LaTeX with boxed priority 50 + plain
expressions, any match); options float_rounding / strict / allow_set_relation_comp as given.
mode "openr1": open-r1's accuracy_reward (gold: parse(sol, extraction_mode="first_match"); completion: LaTeX only,
boxed first, no match without an anchor). expected null: the gold cannot be parsed (the reward skips the sample).
Run: python3 make-verifier-eval.py > verifier-eval.jsonl
"""
import json

cases = []


def mv(gold, pred, expected, note, **opts):
    cases.append({"mode": "mv", "gold": gold, "pred": pred, "expected": expected, "note": note, **opts})


def r1(gold, completion, expected, note):
    cases.append({"mode": "openr1", "gold": gold, "pred": completion, "expected": expected, "note": note})


# -- extraction: where the answer is and which candidate wins
mv("$9$", "The answer is \\[ 9 \\]", 1, "display math after an anchor")
mv("$34$", "Final Answer: The largest $n$ is $34$.", 1, "final answer ... is $x$ beats the earlier $n$")
mv("$34$", "Final Answer: The largest $n$ is 34.", 1, "final answer ... is <number> (plain)")
mv("$5$", "First $x = 3$, then we get $5$.", 1, "without an anchor the rightmost environment wins")
mv("$3$", "First $x = 3$, then we get $5$.", 0, "without an anchor the rightmost environment wins")
mv("$2$", "\\boxed{2} is wrong; the answer is $3$", 1, "boxed (priority 50) before answer-word matches (200)")
mv("$7$", "\\boxed{5}. Final Answer: The final answer is $7$. I hope it is correct.", 1, "'final answer is ... I hope' first")
mv("$1$", "no numbers here at all", 0, "nothing to extract")
mv("$\\frac{1}{2}$", "It equals 0.5", 1, "plain decimal against a fraction")
mv("$1/2$", "$\\frac{1}{2}$", 1, "slash and frac")
mv("$10$", "Answer: \\( (9+1) \\)", 1, "inline parentheses environment")
mv("$12$", "We get $$\n12\n$$ in the end", 1, "display dollars span lines")
mv("$\\frac{3}{4}$", "so it is \\frac{3}{4} exactly", 1, "bare \\frac of two numbers is extracted")

# -- several boxed answers, sets and tuples
mv("$1,2$", "\\boxed{1}, \\boxed{2}", 1, "boxes separated by a comma are one set")
mv("$\\{1,2\\}$", "\\boxed{2} and \\boxed{1}", 1, "boxes joined by 'and', order-free")
mv("$(1,2,3)$", "$(3,2,1)$", 0, "tuples are ordered")
mv("$\\{1,2,3\\}$", "$\\{3,2,1\\}$", 1, "sets are not")
mv("$\\{1,2\\}$", "$\\{1,1,2\\}$", 1, "duplicates in a set collapse")
mv("$\\{1,2,3\\}$", "$(2,3,1)$", 1, "set gold against a tuple answer: order-free")
mv("$(1,2,3)$", "$\\{1,2,3\\}$", 1, "tuple gold against a set answer: in written order")
mv("$(1,2,3)$", "$\\{3,2,1\\}$", 0, "tuple gold against a set answer: in written order")
mv("$(1,1,2)$", "$(1,2)$", 0, "different lengths")
mv("$\\{1,2\\}$", "$(1,2)$", 1, "an open interval compares as a pair with a two-element set")
mv("$(12,102)$", "$(12,102)$", 1, "a pair, not a thousands separator")
mv("$12102$", "$(12,102)$", 0, "a pair, not a thousands separator")
mv("$1 \\pm \\sqrt{2}$", "$\\{1+\\sqrt{2}, 1-\\sqrt{2}\\}$", 1, "plus-minus gives two values")

# -- intervals and unions
mv("$[0,1)$", "$[0,1)$", 1, "same interval")
mv("$[0,1)$", "$[0,1]$", 0, "openness matters")
mv("$(0,\\infty)$", "$(0, \\infty)$", 1, "infinite end")
mv("$x \\le 3$", "$(-\\infty, 3]$", 1, "relation gold, set answer")
mv("$(-\\infty, 3]$", "$x \\le 3$", 0, "set gold, relation answer: not without allow_set_relation_comp")
mv("$(-\\infty, 3]$", "$x \\le 3$", 1, "set gold, relation answer, allowed", allow_set_relation_comp=True)
mv("$(1,2)$", "$1<x<2$", 0, "FAQ: interval gold, inequality answer")
mv("$1<x<2$", "$(1,2)$", 1, "FAQ: inequality gold, interval answer")
mv("$(1,2)$", "$1<x<2$", 1, "FAQ: with allow_set_relation_comp", allow_set_relation_comp=True)
mv("${1,3} \\cup {2,4}$", "${1,2,3,4}$", 1, "README example")
mv("$(-\\infty,1)\\cup(2,\\infty)$", "$(2,\\infty)\\cup(-\\infty,1)$", 1, "union order")
mv("$(-\\infty,1)\\cup(2,\\infty)$", "$(-\\infty,1]\\cup(2,\\infty)$", 0, "union with a closed end")
mv("$[0,2]$", "$[0,1]\\cup[1,2]$", 1, "same set of reals")

# -- relations
mv("$x=5$", "$x=5$", 1, "same equation")
mv("$x=5$", "$5$", 1, "assignment gold, value answer")
mv("$5$", "$x=5$", 1, "value gold, equation answer: its value")
mv("$y=2x+1$", "$2x+1$", 1, "assignment with an expression")
mv("$y = 2x+1$", "$y = 1 + 2x$", 1, "same assignment")
mv("$2x+3y=6$", "$4x+6y=12$", 1, "equations equal up to a factor")
mv("$2x+3y=6$", "$4x+6y=6$", 0, "different equations")
mv("$a < 2$", "$2 > a$", 1, "README: flipped inequality")
mv("$x \\geq 3$", "$3 \\leq x$", 1, "flipped inequality")
mv("$x > 3$", "$x \\geq 3$", 0, "strict is not non-strict")
mv("$x \\neq 3$", "$x \\ne 3$", 1, "not equal")
mv("$x \\in \\{1,2\\}$", "$\\{1,2\\}$", 1, "membership is an assignment")
mv("$a+2z = 2z+a = 101$", "$101$", 0, "FAQ: chain gold, number answer")
mv("$101$", "$a+2z = 2z+a = 101$", 1, "FAQ: number gold, chain answer")
mv("$(p,q)=(3,2)$", "$(3,2)$", 1, "labelled tuple")
mv("$f(x)=1$", "$1$", 1, "labelled value")
mv("$\\pi$", "$x \\approx 3.14$", 0, "approximation of a symbol is its value, 3.14 is not pi")
mv("$\\sqrt{2}$", "$\\sqrt{2} \\approx 1.414$", 1, "approximation of an expression keeps the expression")

# -- strict
mv("$x+1$", "$y+1$", 0, "strict: variables matter")
mv("$x+1$", "$y+1$", 1, "non-strict: variables matched by position", strict=False)

# -- matrices
mv("$\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}$", "$\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}$", 1, "pmatrix and bmatrix")
mv("$\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}$", "$\\begin{pmatrix}1&3\\\\2&4\\end{pmatrix}$", 0, "transposed")
mv("$\\begin{pmatrix}1\\\\2\\end{pmatrix}$", "$\\begin{pmatrix}1&2\\end{pmatrix}$", 0, "column vs row vector")
mv("$\\begin{pmatrix}2&4\\\\6&8\\end{pmatrix}$", "$2\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}$", 1, "scalar times matrix")
mv("$\\begin{pmatrix}\\frac{1}{2}\\\\0\\end{pmatrix}$", "$\\begin{pmatrix}0.5\\\\0\\end{pmatrix}$", 1, "entries compared numerically")

# -- number formats
mv("7425000", "7,425,000", 1, "thousands separators")
mv("1000", "1 000", 1, "space as thousands separator")
mv("$11111$", "$11,\\! 111$", 1, "negative thin space in a number")
mv("$14916$", "$14{,}916$", 1, "braced comma")
mv("1000.99", "1000,99", 1, "decimal comma")
mv("$0.4$", ".4", 1, "leading decimal point")
mv("$28\\%$", "28 percent", 1, "percent word")
mv("$0.28$", "$28\\%$", 1, "percentage against a decimal")
mv("$28$", "$28\\%$", 0, "a percentage is not the bare number")
mv("$5$", "$5 \\text{ cm}$", 1, "unit in text")
mv("$125$", "$125 \\text{ miles}$", 1, "unit word")
mv("$\\text{Evelyn}$", "So it is \\boxed{\\text{Evelyn}}", 1, "text answer")
mv("$204_5$", "$204$", 1, "subscripted base is ignored")
mv("$\\frac{1}{2}$", "$\\\\frac{1}{2}$", 1, "JSON-doubled backslash")
mv("$1000$", "$1000.0$", 1, "integer and decimal")

# -- numeric and symbolic comparison
mv("$\\frac{1}{3}$", "$0.333333$", 1, "rounded to 6 places")
mv("$\\frac{1}{3}$", "$0.333$", 0, "not at 6 places")
mv("$\\frac{1}{3}$", "$0.333$", 1, "float_rounding=3", float_rounding=3)
mv("$\\pi$", "$3.14$", 0, "pi is not 3.14")
mv("$\\pi$", "$3.1415927$", 1, "pi to 6 places")
mv("$\\frac{\\sqrt{3}}{2}$", "$\\sqrt{3}/2$", 1, "symbolic equality")
mv("$0.5$", "$2^{-1}$", 1, "negative power")
mv("$2\\sqrt{2}$", "$\\sqrt{8}$", 1, "surds")
mv("$e^{2}$", "$e^2$", 1, "Euler's e")
mv("$\\infty$", "$\\infty$", 1, "infinity")
mv("$-\\infty$", "$\\infty$", 0, "signed infinity")
mv("$3+4i$", "$4i+3$", 1, "complex numbers")
mv("$i$", "$-i$", 0, "complex numbers")
mv("$x^2-1$", "$(x-1)(x+1)$", 1, "polynomial identity")
mv("$1$", "$\\sin^2 x + \\cos^2 x$", 1, "trigonometric identity")
mv("$1$", "$0.9999999$", 1, "rounds to 1 at 6 places")
mv("$1$", "$0.99999$", 0, "does not round to 1")
mv("$2x$", "$x+x$", 1, "collect terms")
mv("$\\frac{x}{2}$", "$0.5x$", 1, "decimal coefficient")

# -- open-r1's accuracy reward
r1("$\\frac{1}{2}$", "The answer is $\\frac{1}{2}$", 1, "anchored LaTeX")
r1("10", "x = 10", 0, "no LaTeX, no anchor")
r1("see the figure", "\\boxed{3}", None, "unreadable gold is skipped")
r1("$3$", "<answer>3</answer>", 0, "a plain number is not LaTeX")
r1("$\\boxed{42}$", "\\boxed{42}", 1, "boxed")
r1("$42$", "I think $41$. Actually \\boxed{42}", 1, "boxed first")
r1("$3$", "$3$", 0, "no anchor, no box")
r1("$3$", "The answer is $3$.", 1, "answer word and LaTeX")
r1("$-5$", "Final Answer: The final answer is $-5$. I hope it is correct.", 1, "Minerva style")
r1("The area is $15\\text{ cm}^2$.", "\\boxed{15}", 1, "gold with a unit")
r1("$2$", "\\boxed{2}, \\boxed{3}", 0, "two boxes are a set")
r1("$2$", "so $y=2$ hence \\boxed{y = 2}", 1, "boxed equation against a value")
r1("$\\frac{1}{2}$", "The answer is $0.5$", 1, "decimal answer")
r1("We find $x=4$, so the answer is $\\boxed{4}$.", "\\boxed{4}", 1, "MATH-style gold solution")

for c in cases:
    print(json.dumps(c, ensure_ascii=False))

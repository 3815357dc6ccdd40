#!/usr/bin/env python3
"""Writes verifier-corpus.jsonl: labelled (completion, gold, expected) cases for the Java math verifier.

Labels come from how each case is built (Python's exact `fractions`, hand-written cases), never from the Java
code under test. expected: 1.0 equivalent, 0.0 not (or no anchored answer), null = gold unreadable (NaN).
Run: python3 make-verifier-corpus.py > verifier-corpus.jsonl
"""
import json
import random
from fractions import Fraction

rng = random.Random(20260521)
cases = []


def add(completion, gold, expected, note):
    cases.append({"completion": completion, "gold": gold, "expected": expected, "note": note})


# -- the reference example (open-r1's docs / the spec)
add("The answer is \\boxed{42}", "\\boxed{42}", 1.0, "reference: boxed")
add("x = 10", "10", 0.0, "reference: no anchor")
add("\\boxed{3.14}", "\\boxed{pi}", 0.0, "reference: 3.14 is not pi")

# -- integers through every anchor, right and off by one
anchors = [
    "The answer is \\boxed{%s}", "So we get $\\boxed{%s}$.", "Final answer: %s", "The final answer is %s.",
    "#### %s", "<think>\nwork\n</think>\n<answer>\n%s\n</answer>", "**Answer:** %s", "Therefore, the answer is $%s$.",
    "Answer: \\(%s\\)", "the answer is %s",
]
for n in [0, 7, 42, 100, -5, 1234, -17, 365]:
    for a in rng.sample(anchors, 4):
        add(a % n, str(n), 1.0, "integer via anchor")
    add(rng.choice(anchors) % (n + 1), str(n), 0.0, "off by one")
    add(rng.choice(anchors) % (n - 1), "\\boxed{%d}" % n, 0.0, "off by one, boxed gold")

# -- no anchor: never extracted (math_verify try_extract_without_anchor=False)
for text in ["42", "$42$", "x = 42", "We get 42.", "so 42 it is", "The result: 42 apples", "\\[42\\]", "42 is right"]:
    add(text, "42", 0.0, "no anchor")

# -- fractions against decimals (exact rationals)
fracs = [Fraction(1, 2), Fraction(3, 4), Fraction(1, 8), Fraction(5, 4), Fraction(-3, 8), Fraction(7, 20),
         Fraction(9, 5), Fraction(-1, 16), Fraction(13, 10), Fraction(3, 2)]


def dec(f):
    s = "%.6f" % float(f)
    return s.rstrip("0").rstrip(".")


def latex_frac(f, cmd="\\frac", k=1):
    num, den = f.numerator * k, f.denominator * k
    sign = "-" if num < 0 else ""
    return "%s%s{%d}{%d}" % (sign, cmd, abs(num), den)


for f in fracs:
    add("The answer is \\boxed{%s}" % latex_frac(f), dec(f), 1.0, "frac vs decimal")
    add("The answer is \\boxed{%s}" % dec(f), latex_frac(f), 1.0, "decimal vs frac")
    add("\\boxed{%s}" % latex_frac(f, "\\dfrac"), "%d/%d" % (f.numerator, f.denominator), 1.0, "dfrac vs slash")
    add("\\boxed{%s}" % latex_frac(f, "\\tfrac", 3), latex_frac(f), 1.0, "unreduced tfrac")
    add("\\boxed{%s0}" % dec(f), dec(f), 1.0, "trailing zero")
    wrong = f + Fraction(1, 100)
    add("\\boxed{%s}" % dec(wrong), latex_frac(f), 0.0, "close but wrong")
    add("\\boxed{%s}" % latex_frac(-f), dec(f), 0.0, "sign flipped")

for f, approx in [(Fraction(1, 3), "0.333"), (Fraction(1, 3), "0.3333333"), (Fraction(2, 3), "0.667"),
                  (Fraction(1, 7), "0.142857"), (Fraction(5, 6), "0.83")]:
    # Math-Verify rounds both sides to 6 decimal places when one is a decimal: 0.3333333 is 1/3, 0.333 is not
    same = round(Fraction(approx), 6) == round(f, 6)
    add("\\boxed{%s}" % approx, latex_frac(f), 1.0 if same else 0.0, "decimal vs fraction, rounded to 6 places")
    add("\\boxed{%s}" % latex_frac(f), approx, 1.0 if same else 0.0, "fraction vs decimal gold, rounded to 6 places")
    add("\\boxed{%s}" % latex_frac(f, k=2), latex_frac(f), 1.0, "unreduced fraction")

# -- random integer arithmetic written in different notations
for _ in range(25):
    a, b = rng.randint(2, 30), rng.randint(2, 30)
    f = Fraction(a, b)
    forms = ["\\frac{%d}{%d}" % (a, b), "%d/%d" % (a, b), "\\dfrac{%d}{%d}" % (2 * a, 2 * b), "\\frac{%d}{%d}" % (3 * a, 3 * b)]
    add("The answer is \\boxed{%s}" % rng.choice(forms), latex_frac(f), 1.0, "random fraction, other form")
    g = f + Fraction(1, b * 10)
    add("The answer is \\boxed{%s}" % rng.choice(forms), latex_frac(g), 0.0, "random fraction vs nearby")

# -- irrational constants: numeric comparison with a tight tolerance
irr = [
    ("2\\sqrt{2}", "\\sqrt{8}", 1.0), ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", 1.0), ("\\sqrt{16}", "4", 1.0),
    ("\\sqrt{3}", "1.732", 0.0), ("1.414", "\\sqrt{2}", 0.0), ("2\\pi", "2\\pi", 1.0), ("\\frac{\\pi}{2}", "\\pi/2", 1.0),
    ("6.28", "2\\pi", 0.0), ("3.14159", "\\pi", 0.0), ("\\pi", "pi", 1.0), ("\\sqrt[3]{27}", "3", 1.0),
    ("3\\sqrt{3}", "\\sqrt{27}", 1.0), ("\\sqrt{12}", "2\\sqrt{3}", 1.0), ("\\sqrt{12}", "3\\sqrt{2}", 0.0),
    ("e^{2}", "e^2", 1.0), ("2.718", "e", 0.0), ("\\frac{1+\\sqrt{5}}{2}", "\\frac{\\sqrt{5}+1}{2}", 1.0),
    ("\\frac{1-\\sqrt{5}}{2}", "\\frac{1+\\sqrt{5}}{2}", 0.0), ("4\\pi", "\\pi \\cdot 4", 1.0), ("\\pi^2", "\\pi \\times \\pi", 1.0),
    ("\\sqrt{2}\\sqrt{3}", "\\sqrt{6}", 1.0), ("\\ln 1", "0", 1.0), ("\\sin(0)", "0", 1.0), ("2^{1/2}", "\\sqrt{2}", 1.0),
]
for c, g, e in irr:
    add("The answer is \\boxed{%s}" % c, g, e, "irrational")

# -- powers and scientific notation
for c, g, e in [("2^{10}", "1024", 1.0), ("10^{-3}", "0.001", 1.0), ("10^{3}", "1000", 1.0), ("2^{-2}", "\\frac{1}{4}", 1.0),
                ("3^4", "81", 1.0), ("3^4", "64", 0.0), ("1.5e3", "1500", 1.0), ("1.5 \\times 10^{3}", "1500", 1.0),
                ("6.02 \\times 10^{23}", "6.02e23", 1.0), ("2^{100}", "2^{100}", 1.0), ("2^{100}", "2^{99}", 0.0),
                ("(-2)^3", "-8", 1.0), ("-2^2", "-4", 1.0), ("(-2)^2", "4", 1.0), ("4^{\\frac{1}{2}}", "2", 1.0)]:
    add("\\boxed{%s}" % c, g, e, "powers")

# -- algebra: equal by evaluation at random points
alg = [
    ("2(x+1)", "2x+2", 1.0), ("(x+1)^2", "x^2+2x+1", 1.0), ("(x-1)(x+1)", "x^2-1", 1.0), ("\\frac{x}{2}", "0.5x", 1.0),
    ("3x", "3y", 0.0), ("x+1", "x-1", 0.0), ("2x", "x^2", 0.0), ("x^{2}", "x^2", 1.0), ("a+b", "b+a", 1.0),
    ("\\frac{1}{x}", "x^{-1}", 1.0), ("\\frac{x^2-4}{x-2}", "x+2", 1.0), ("2\\sin(x)\\cos(x)", "\\sin(2x)", 1.0),
("e^{x}e^{x}", "e^{2x}", 1.0), ("x^3 - x", "x(x-1)(x+1)", 1.0), ("(a+b)^2", "a^2+b^2", 0.0),
    ("\\frac{3}{2}x", "1.5x", 1.0), ("x y", "xy", 1.0), ("2 \\cdot x \\cdot y", "2xy", 1.0),
    ("|x|", "x", 0.0), ("\\sqrt{x^2}", "|x|", 1.0), ("\\left|x\\right|", "|x|", 1.0), ("\\sqrt{x}^2", "x", 1.0),
    ("x^3", "|x|^3", 0.0), ("\\frac{1}{x^2}", "x^{-2}", 1.0), ("0 \\cdot x + 42", "x", 0.0),
    ("k^2 + 2k", "k(k+2)", 1.0), ("n(n+1)/2", "\\frac{n^2+n}{2}", 1.0), ("\\frac{n(n-1)}{2}", "\\frac{n(n+1)}{2}", 0.0),
]
for c, g, e in alg:
    add("The answer is \\boxed{%s}" % c, g, e, "algebra")

# -- equations
for c, g, e in [("x = 3", "3", 1.0), ("x=5", "x=5", 1.0), ("y = 2x + 1", "y=2x+1", 1.0), ("y = 2x+1", "y = 2x + 2", 0.0),
                ("a = -4", "-4", 1.0), ("x = 4", "5", 0.0), ("2x + 1 = 7", "2x+1=7", 1.0), ("t = \\frac{1}{2}", "0.5", 1.0),
                ("x = 1, y = 2", "(1, 2)", 1.0), ("x = 1, y = 2", "(2, 1)", 0.0)]:
    add("\\boxed{%s}" % c, g, e, "equation")

# -- sets, tuples, intervals, several answers
for c, g, e in [
    ("\\{1, 2\\}", "\\{2, 1\\}", 1.0), ("\\{1, 2, 3\\}", "\\{1, 2\\}", 0.0), ("(1, 2)", "(2, 1)", 0.0), ("(1, 2)", "(1, 2)", 1.0),
    ("[1, 3)", "[1, 3)", 1.0), ("[1, 3]", "[1, 3)", 0.0), ("(-\\infty, 2]", "(-\\infty, 2]", 1.0), ("(-\\infty, 2)", "(-\\infty, 2]", 0.0),
    ("1, 2", "2, 1", 1.0), ("3 \\text{ or } 5", "5, 3", 1.0), ("\\pm 2", "2, -2", 1.0), ("\\pm 2", "2", 0.0),
    ("(0, \\frac{1}{2})", "(0, 0.5)", 1.0), ("[0, \\infty)", "[0,\\infty)", 1.0), ("\\left( 3, 4 \\right)", "(3,4)", 1.0),
    ("(1,2) \\cup (3,4)", "(3,4) \\cup (1,2)", 1.0), ("\\{-1, 1\\}", "1, -1", 1.0), ("2, 3, 5", "2, 3, 5, 7", 0.0),
    ("\\emptyset", "\\varnothing", 1.0), ("(1, 2, 3)", "(1, 2, 3)", 1.0), ("(1, 2, 3)", "(3, 2, 1)", 0.0),
    ("1 \\pm \\sqrt{2}", "1+\\sqrt{2}, 1-\\sqrt{2}", 1.0), ("x = 2 \\text{ and } x = -2", "\\pm 2", 1.0),
]:
    add("The answer is \\boxed{%s}" % c, g, e, "sets/tuples/intervals")

# -- LaTeX noise, units, percent, degrees, money, thousands separators
noise = [
    ("10 \\text{ cm}", "10", 1.0), ("5\\text{ dollars}", "5", 1.0), ("\\$10", "10", 1.0), ("\\$1{,}250", "1250", 1.0),
    ("50\\%", "50", 0.0), ("50\\%", "\\frac{1}{2}", 1.0), ("30^\\circ", "30", 1.0), ("30^{\\circ}", "30", 1.0), ("45°", "45", 1.0), ("1,000", "1000", 1.0),
    ("1,000,000", "10^6", 1.0), ("12\\,345", "12345", 1.0), ("\\displaystyle \\frac{1}{2}", "0.5", 1.0),
    ("\\left(\\frac{1}{2}\\right)", "\\frac12", 1.0), ("\\mathbf{7}", "7", 1.0), ("\\text{7}", "7", 1.0),
    ("12 \\mathrm{cm}^2", "12", 1.0), ("3.5 \\text{ hours}", "3.5", 1.0), ("\\textbf{18}", "18", 1.0), ("7\\!", "7", 1.0),
    ("−5", "-5", 1.0), ("- 5", "-5", 1.0), ("5", "-5", 0.0), ("\\frac{-1}{2}", "-0.5", 1.0), ("-\\frac{1}{2}", "\\frac{-1}{2}", 1.0),
    ("007", "7", 1.0), ("2.50", "2.5", 1.0), ("3.0", "3", 1.0), ("2\\frac{1}{2}", "2.5", 1.0), ("1\\frac{3}{4}", "\\frac{7}{4}", 1.0),
    ("\\sqrt2", "\\sqrt{2}", 1.0), ("\\frac12", "\\frac{1}{2}", 1.0), ("\\frac{1}2", "0.5", 1.0), ("20 \\%", "0.2", 1.0),
    ("\\text{Evelyn}", "Evelyn", 1.0), ("\\text{(C)}", "C", 1.0), ("C", "D", 0.0), ("\\text{yes}", "yes", 1.0),
    ("\\text{no}", "yes", 0.0), ("90 \\text{ degrees}", "90", 1.0), ("1,234.5", "1234.5", 1.0), ("100 \\text{ km/h}", "100", 1.0),
]
for c, g, e in noise:
    add("The answer is \\boxed{%s}" % c, g, e, "noise/units")

# -- which answer counts: the last box, <answer> tags, anchors inside them
add("First I thought \\boxed{3} but after checking again it must be \\boxed{4}", "4", 1.0, "last box counts")
add("First I thought \\boxed{3} but after checking again it must be \\boxed{4}", "3", 0.0, "last box counts")
# Math-Verify: boxes separated by a comma/"and"/"or" (within 70 characters) are read together as one list
add("First I thought \\boxed{3}, but correcting: \\boxed{4}", "4", 0.0, "boxes after a comma form a list")
add("First I thought \\boxed{3}, but correcting: \\boxed{4}", "3, 4", 1.0, "boxes after a comma form a list")
add("<think>\nsum\n</think>\n<answer>\nThe answer is 12\n</answer>", "12", 1.0, "anchor inside answer tag")
add("<think>\nsum\n</think>\n<answer>\n$\\frac{1}{2}$\n</answer>", "0.5", 1.0, "latex in answer tag")
add("<think>\nthe answer is 5\n</think>\n<answer>\n6\n</answer>", "6", 1.0, "answer tag beats earlier anchor")
add("<think>\nthe answer is 5\n</think>\n<answer>\n6\n</answer>", "5", 0.0, "answer tag beats earlier anchor")
add("The answer is 7. Wait, the answer is 8.", "8", 1.0, "last anchor counts")
add("The answer is 42 apples.", "42", 1.0, "trailing words dropped")
add("Final Answer: The final answer is $\\frac{3}{5}$. I hope it is correct.", "0.6", 1.0, "minerva style")
add("I think it's \\boxed{\\frac{a}{b}} in general, so with a=1, b=2 the answer is \\boxed{\\frac12}", "\\frac{1}{2}", 0.0, "boxes after a comma form a list")
add("I think it's \\boxed{\\frac{a}{b}} in general. With the values given above the answer is \\boxed{\\frac12}", "\\frac{1}{2}", 1.0, "last box")

# -- gold answers in dataset formats
add("The answer is \\boxed{15}", "We add them: $5 + 10 = \\boxed{15}$.", 1.0, "MATH-style gold solution")
add("The answer is \\boxed{16}", "We add them: $5 + 10 = \\boxed{15}$.", 0.0, "MATH-style gold solution")
add("#### 72", "Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether.\n#### 72", 1.0, "GSM8K gold")
add("The answer is 71", "Natalia sold 48/2 = 24 clips in May.\n#### 72", 0.0, "GSM8K gold")
add("\\boxed{10}", "$10$", 1.0, "dollar-delimited gold")
add("\\boxed{10}", "\\(10\\)", 1.0, "paren-delimited gold")
add("\\boxed{0.25}", "\\frac{1}{4}", 1.0, "bare latex gold")

# -- unreadable gold: not applicable (null), whatever the completion says
for g in ["", "   ", "see the figure above", "\\frac{", "\\boxed{}", "I can't say", "\\unknown{3}", "((("]:
    add("The answer is \\boxed{42}", g, None, "unreadable gold")

# -- malformed LaTeX in the completion: 0.0, never an exception
for c in ["\\boxed{\\frac{1}{2", "\\boxed{", "\\boxed{}", "\\boxed{\\frac{}{}}", "\\boxed{2^}", "\\boxed{\\sqrt{}}",
          "\\boxed{((3)}", "\\boxed{\\unknowncommand{3}}", "The answer is $$", "The answer is", "\\boxed{1/0}",
          "\\boxed{\\frac{1}{0}}", "\\boxed{3 +}", "\\boxed{)(}", "\\boxed{\\left(}", "\\boxed{^^}", "\\boxed{\\}",
          "\\boxed{10^{10^{10^{10}}}}", "\\boxed{" + "(" * 300 + "1" + ")" * 300 + "}", "The answer is \\frac{1}{",
          "<answer>\n</answer>", "<answer>", "\\boxed{1..2}", "\\boxed{\\sqrt[}{2}}", "\\boxed{_}", "\\boxed{!}",
          "\\boxed{x = }", "\\boxed{= 3}", "\\boxed{\\text{}}", "\\boxed{\\text{unclosed}"]:
    add(c, "\\frac{1}{2}", 0.0, "malformed completion")

for c in cases:
    print(json.dumps(c, ensure_ascii=False))

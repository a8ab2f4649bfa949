"""The things a prompt names, as short noun phrases, out of what people type into generators.

Prompts are not sentences: Automatic1111 users write comma-separated tags with weights
(``(red dress:1.3)``, ``[hat]``), LoRA calls (``<lora:x:0.8>``) and quality boilerplate
("masterpiece, best quality, 8k"); others write a sentence ("a golden retriever on a sofa in
a hotel room"). Both become phrases by splitting on punctuation, conjunctions and
prepositions, dropping the weight syntax, the boilerplate and the articles, and keeping the
last few words of each part (an English noun phrase ends in its head noun). No parser model:
nothing to download, and the same result on every machine; a phrase the split gets wrong
costs one line of an explanation, never a stored fact.
"""

from __future__ import annotations

import re

MAX_PHRASES = 12
MAX_WORDS = 4
_LORA = re.compile(r"<[^<>]{0,200}>")
_WEIGHT = re.compile(r":\s*-?\d+(?:\.\d+)?\s*(?=[)\]])")  # the ":1.3" of "(word:1.3)"
_BRACKETS = re.compile(r"[()\[\]{}]")
_BREAK = re.compile(
    r"[,.;:|!?\n/]+|\s(?:and|or|with|without|in|on|at|of|by|from|into|onto|over|under|near|"
    r"beside|behind|wearing|holding|next to|in front of|against|while|as|for|under|through|"
    r"during|featuring|showing|having|has|is|are)\s",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w[\w'-]*", re.UNICODE)
_DROP = frozenset(
    """a an the this that these those some one two three its their his her very highly ultra
    extremely super beautiful stunning amazing gorgeous solo sitting standing lying looking
    walking running smiling posing leaning viewer""".split()
)
# Words that describe the rendering, not the picture's content.
_STYLE = frozenset(
    """masterpiece best quality high low worst normal detailed detail details intricate
    realistic photorealistic hyperrealistic hyper-realistic photo photograph photography
    picture image render rendering cinematic lighting studio professional award winning
    sharp focus bokeh depth field dslr raw 4k 8k 16k hd uhd hdr resolution trending
    artstation octane unreal engine style art artwork illustration digital painting concept
    volumetric soft dramatic natural light lights film grain lens mm f/1.8 shot wallpaper
    epic aesthetic absurdres highres official quality, score_9 score_8_up score_7_up""".split()
)


def phrases(prompt: str) -> list[str]:
    """Up to :data:`MAX_PHRASES` distinct lowercase phrases the prompt names, in order."""
    text = _BRACKETS.sub(" ", _WEIGHT.sub("", _LORA.sub(" ", prompt[:4000])))
    out: list[str] = []
    for part in _BREAK.split(f" {text} "):
        words = [w.lower() for w in _WORD.findall(part)]
        while words and words[0] in _DROP:
            words.pop(0)
        words = [w for w in words if w not in _DROP and not w.isdigit()]
        if not words or all(w in _STYLE for w in words):
            continue
        phrase = " ".join(words[-MAX_WORDS:])
        if phrase not in out:
            out.append(phrase)
        if len(out) == MAX_PHRASES:
            break
    return out


def head(phrase: str) -> str:
    """The phrase's head noun, singular: what a caption or tag would have to mention."""
    return singular(phrase.split()[-1]) if phrase.split() else ""


def singular(word: str) -> str:
    """A rough English singular ("dresses" -> "dress", "puppies" -> "puppy"), enough to
    match a prompt's noun to a caption's; both sides go through it."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "shes", "ches", "xes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w

"""Turn a follow-up question into a standalone one, using the conversation so far.

Retrieval sees one question at a time, so "那数据安全方面呢？" on its own finds
nothing useful: it needs the topic of the earlier turns. `condense_question`
rewrites such follow-ups and leaves standalone questions alone.

Two ways to rewrite:
- with a language model: a short prompt, a few dozen tokens, and the reply is
  checked before it is trusted (the small default model sometimes answers the
  question, writes code, or echoes the prompt);
- a deterministic rule: the topic of the previous question, then the follow-up.
  The default (settings.condense = "rule"): it is instant, so the evidence for a
  follow-up still shows within a second, and it leaves the model's evaluated
  answering prefix in place. Also used with generators that are not language
  models, when the model fails, and when its reply does not look like a
  rewritten question.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from ..config import Settings
from ..text.script import CJK_CHAR, CJK_RUN, is_chinese
from ..text.variants import TRADITIONAL, cut_folded, folded_in_place, script_of, to_traditional
from .generators.base import Generator

log = logging.getLogger(__name__)

History = Sequence[tuple[str, str]]

# Leading connectives that tie a question to what came before; they carry no
# content, so the rule drops them. Longer ones first so "那么" goes whole.
_ZH_CONNECTIVES = ("那么", "那", "还有", "另外", "此外", "以及", "并且", "而且", "同时", "然后", "再说",
                   "和", "与", "又", "再", "而")
# Leading pronouns also mark a follow-up, but stay in the text: "它的目标" keeps its sense
# once the topic is put in front of it.
_ZH_LEADS = _ZH_CONNECTIVES + ("它们", "它", "他们", "这些", "这个", "这", "那些", "那个", "该", "其")
_EN_CONNECTIVES = ("and what about", "and how about", "and", "also", "then", "so", "besides")
_EN_LEADS = _EN_CONNECTIVES + ("what about", "how about", "what else", "anything else")
# References to something said earlier, anywhere in a short question.
_ZH_REFS = ("它", "他们", "她们", "这些", "那些", "这个", "那个", "这方面", "那方面", "上述", "前者", "后者",
            "这一", "该项", "该措施", "这种", "那种", "其中")
# ("this", "that" and "there" are left out: standalone questions use them all the time)
_EN_REFS = {"it", "its", "they", "them", "their", "these", "those", "he", "she", "his", "her"}
_QUESTION_WORDS_ZH = re.compile(
    r"(是|为|有)?(如何|怎样|怎么样|怎么|什么|哪些|哪个|哪家|哪里|哪一年|哪几|多少|几个)|为什么|是否|能否|吗|呢"
)

_WORD = re.compile(r"[A-Za-z0-9]+")

SHORT_ZH = 16  # characters; a follow-up such as "那数据安全方面呢？" is 9
SHORT_EN = 10  # words


def looks_like_followup(question: str) -> bool:
    """True when the question leans on earlier turns (leading 那/还有/what about...,
    a pronoun, or a bare "呢？" tail) and is short enough not to carry its own topic.
    A traditional question is read as its simplified twin ("還有", "這些")."""
    q = question.strip()
    if not q:
        return False
    if is_chinese(q):
        q = folded_in_place(q)
        if len(q) > SHORT_ZH * 2:
            return False
        refers = any(ref in q for ref in _ZH_REFS)
        if len(q) > SHORT_ZH:  # long enough to name its own topic unless it points back
            return refers
        return q.startswith(_ZH_LEADS) or refers or bool(re.search(r"呢[？?]?\s*$", q))
    words = [w.lower() for w in _WORD.findall(q)]
    if not words or len(words) > SHORT_EN * 2:
        return False
    lowered = " ".join(words)
    if any(lowered == lead or lowered.startswith(lead + " ") for lead in _EN_LEADS):
        return True
    return len(words) <= SHORT_EN and any(w in _EN_REFS for w in words)


def _strip_lead(question: str) -> str:
    q = question.strip()
    if is_chinese(q):
        f = folded_in_place(q)
        if f.startswith(_ZH_REFS):  # "那些措施…" starts with a pronoun, not with "那"
            return q
        for lead in _ZH_CONNECTIVES:
            if f.startswith(lead):
                return q[len(lead):].lstrip("，,、 ") or q
        return q
    lowered = q.lower()
    for lead in _EN_CONNECTIVES:
        if lowered.startswith(lead + " "):
            return q[len(lead):].lstrip(" ,") or q
    return q


def _topic(previous: str) -> str:
    """The previous question as a topic phrase: without its question words and closing
    punctuation ("重庆如何推进X？" -> "重庆推进X"), so the follow-up supplies the question."""
    p = re.sub(r"[？?。！!\s]+$", "", previous.strip())
    if is_chinese(p):
        stripped = cut_folded(_QUESTION_WORDS_ZH, p).rstrip("的，, ")  # "什麼" goes as "什么" does
        return stripped if len(stripped) >= 2 else p
    return p


def rule_rewrite(question: str, history: History) -> str:
    """Deterministic rewrite: previous question's topic, then the follow-up without
    its leading connective. Used when no language model is at hand or it misbehaves."""
    previous = _previous_question(history)
    if not previous:
        return question.strip()
    topic = _topic(previous)
    rest = _strip_lead(question)
    if is_chinese(topic) and "的" in topic and re.search(r"呢[？?]?\s*$", question) and not folded_in_place(question).startswith(_ZH_REFS):
        # "X的Y是多少？" then "那Z呢？": Z takes Y's place, so the old aspect Y would only
        # pull retrieval back to the previous answer
        head = topic.split("的", 1)[0]
        topic = head if len(head) >= 4 else topic
    chinese = is_chinese(question) or is_chinese(topic)
    if not (_content_chars(rest) - set("呢吗么")):  # "还有呢？": more on the same topic
        rest = "还有哪些？" if chinese else "what else?"
        if script_of(question) == TRADITIONAL or script_of(topic) == TRADITIONAL:
            rest = to_traditional(rest)
    return f"{topic}：{rest}" if chinese else f"{topic}: {rest}"


def _previous_question(history: History) -> str:
    for user, _assistant in reversed(list(history)):
        if user and user.strip():
            return user.strip()
    return ""


_SYSTEM = (
    "Rewrite the user's follow-up question as one standalone question that can be "
    "understood without the conversation. Keep the follow-up's language. Name the topic "
    "it refers to. Do not answer it. Reply with the question only."
)


def _prompt(question: str, history: History, max_turns: int = 3, max_reply_chars: int = 200) -> list[dict]:
    lines = []
    for user, assistant in list(history)[-max_turns:]:
        lines.append(f"User: {user.strip()}")
        if assistant:
            reply = " ".join(assistant.split())
            lines.append(f"Assistant: {reply[:max_reply_chars]}")
    convo = "\n".join(lines)
    return [
        {"role": "system", "content": _SYSTEM},
        {"role": "user", "content": f"Conversation:\n{convo}\n\nFollow-up question: {question.strip()}\n"
                                    "Standalone question:"},
    ]


_LABEL = re.compile(r"^(standalone question|rewritten question|question|独立问题|改写后的问题|问题)\s*[:：]\s*",
                    re.IGNORECASE)


def _clean(reply: str) -> str:
    for line in reply.splitlines():
        line = line.strip().strip("\"'“”‘’`*").strip()
        line = _LABEL.sub("", line).strip().strip("\"'“”‘’`*").strip()
        if line:
            return line
    return ""


def _content_chars(text: str) -> set[str]:
    return set(CJK_CHAR.findall(text)) | {w.lower() for w in _WORD.findall(text)}


_FILLER = re.compile(r"[那么还有呢吗什么方面它这该其的是]")
_EN_FILLER = {"what", "about", "how", "and", "also", "then", "so", "the", "a", "an", "of", "is", "are", "was",
              "were", "it", "its", "they", "them", "their", "does", "do", "did", "else", "in", "on", "for"}


def _content_units(text: str) -> set[str]:
    """Character bigrams of the Chinese content (filler words dropped) plus Latin words:
    single characters would let "数据需求" pass for "数据安全"."""
    units = {w.lower() for w in _WORD.findall(text)} - _EN_FILLER
    for run in CJK_RUN.findall(_FILLER.sub(" ", text)):
        units |= {run[i : i + 2] for i in range(len(run) - 1)} if len(run) > 1 else {run}
    return units


def _acceptable(rewrite: str, question: str, history: History, settings: Settings) -> bool:
    """Reject replies that are not a rewritten question: empty, code, answers with
    citations, too long, the wrong language, or dropping what the follow-up asked."""
    if not rewrite or rewrite == question.strip():
        return False
    if any(bad in rewrite for bad in ("```", "def ", "import ", "{", "}")) or re.search(r"[\[【［]\s*\d", rewrite):
        return False  # code, or an answer carrying citation markers
    limit = min(settings.max_question_chars, len(question) + len(_previous_question(history)) + 60)
    if len(rewrite) > limit:
        return False
    if is_chinese(question) != is_chinese(rewrite):
        return False
    asked = _content_units(_strip_lead(question))
    if asked:
        kept = len(asked & _content_units(rewrite)) / len(asked)
        if kept < 0.5:
            return False
    return True


def _needs_rewrite(question: str, history: History) -> bool:
    """A follow-up to an earlier question: it has to be made standalone."""
    return bool(history) and bool(_previous_question(history)) and looks_like_followup(question)


def _rewrites_with_model(generator: Generator | None, settings: Settings) -> bool:
    return settings.condense == "model" and generator is not None and generator.is_language_model


def asks_model(question: str, history: History, generator: Generator | None, settings: Settings) -> bool:
    """Will condense_question call the model? (Then the caller queues for it first, like an answer.)"""
    return _needs_rewrite(question.strip(), history) and _rewrites_with_model(generator, settings)


def condense_question(question: str, history: History, generator: Generator | None, settings: Settings) -> str:
    """A standalone version of `question` given `history` ((user, assistant) pairs,
    oldest first). Questions that do not look like follow-ups come back unchanged."""
    q = question.strip()
    if not _needs_rewrite(q, history):
        return q
    if not _rewrites_with_model(generator, settings):
        return rule_rewrite(q, history)
    try:
        reply = generator.complete(_prompt(q, history), max_tokens=64, temperature=0.0)
    except Exception as e:  # any backend failure: the rule still gives retrieval a topic
        log.warning("condensing with %s failed (%s); using the rule", getattr(generator, "name", "?"), e)
        return rule_rewrite(q, history)
    rewrite = _clean(reply)
    if _acceptable(rewrite, q, history, settings):
        return rewrite
    log.info("condense reply %r rejected; using the rule", reply[:120])
    return rule_rewrite(q, history)

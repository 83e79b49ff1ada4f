"""Generated test corpora for the matcher, shared with `bench/moderation.py`.

* `RULES` — a small realistic term list (Latin and CJK, every action, some whole-word) and
  `ALLOW` — allow-list phrases for known false positives.
* `evasions()` — spellings of those terms that people use to slip past filters: dotted, spaced,
  full-width, zero-width, mixed case, accented, mathematical and circled letters, emoji between
  characters, CJK with inserted separators — each inside an ordinary sentence.
* `clean_posts()` — ordinary mixed CJK/Latin posts, including the near misses a careless filter
  trips on (scampi, Scunthorpe, campus, 赌气, 博物馆).

Everything is deterministic (seeded) so failures reproduce.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from hutong.moderation.matching import Action, Rule

RULES: list[Rule] = [
    Rule(1, "casino", "gambling", Action.BLOCK),
    Rule(2, "scam", "fraud", Action.MASK, whole_word=True),
    Rule(3, "viagra", "spam", Action.BLOCK),
    Rule(4, "free money", "spam", Action.REVIEW),
    Rule(5, "cunt", "abuse", Action.MASK),
    Rule(6, "idiot", "abuse", Action.MASK, whole_word=True),
    Rule(7, "crypto giveaway", "fraud", Action.BLOCK),
    Rule(8, "赌博", "gambling", Action.BLOCK),
    Rule(9, "六合彩", "gambling", Action.BLOCK),
    Rule(10, "代开发票", "fraud", Action.BLOCK),
    Rule(11, "诈骗", "fraud", Action.REVIEW),
    Rule(12, "裸聊", "porn", Action.BLOCK),
    Rule(13, "傻逼", "abuse", Action.MASK),
    Rule(14, "冰毒", "drugs", Action.BLOCK),
    Rule(15, "办假证", "fraud", Action.REVIEW),
    Rule(16, "ass", "abuse", Action.MASK, whole_word=True),
]
ALLOW = ["Scunthorpe", "Penistone"]

LATIN_SEPARATORS = [".", " ", "-", "_", "*", "·", "/", "|", "~", "+", "'", ",", "😀", "\u3000"]
CJK_SEPARATORS = [" ", "\u3000", "·", "，", "。", "、", "-", "*", "😂", "\u200b", "/", "…", "!"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
ACCENTS = {"a": "áàâäãå", "e": "éèêë", "i": "íìîï", "o": "óòôöõ", "u": "úùûü", "c": "çć", "n": "ñń"}
COMBINING = ["\u0301", "\u0308", "\u0332", "\u0336"]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def math_bold(text: str) -> str:
    return "".join(chr(0x1D41A + ord(c) - 97) if "a" <= c <= "z" else c for c in text)


def circled(text: str) -> str:
    return "".join(chr(0x24D0 + ord(c) - 97) if "a" <= c <= "z" else c for c in text)


def _interleave(chars: str, pick: list[str], rng: random.Random) -> str:
    return (
        rng.choice(pick).join(chars)
        if rng.random() < 0.5
        else "".join(
            c + (rng.choice(pick) if i < len(chars) - 1 else "") for i, c in enumerate(chars)
        )
    )


def _spellings(term: str, rng: random.Random) -> Iterator[str]:
    chars = term.replace(" ", "")
    latin = chars.isascii()
    if latin:
        for sep in LATIN_SEPARATORS:
            yield sep.join(chars)
        yield full_width(term)
        yield full_width(term.upper())
        yield "".join(c.upper() if rng.random() < 0.5 else c for c in term)
        yield term.upper()
        yield math_bold(term)
        yield circled(chars)
        yield "".join(rng.choice(ACCENTS.get(c, c)) for c in term)
        yield "".join(c + rng.choice(COMBINING) for c in chars)
        yield full_width(".".join(chars))
        yield _interleave(chars.upper(), LATIN_SEPARATORS, rng)
    else:
        for sep in CJK_SEPARATORS:
            yield sep.join(chars)
        yield "".join(c + "\u3000" for c in chars).strip()
        yield _interleave(chars, CJK_SEPARATORS, rng)
    for zw in ZERO_WIDTH:
        yield zw.join(chars)
    yield _interleave(chars, ZERO_WIDTH + (LATIN_SEPARATORS if latin else CJK_SEPARATORS), rng)


CONTEXTS_BEFORE = [
    "",
    "快来 ",
    "Check this: ",
    "朋友说",
    "hey, ",
    "【推广】",
    "今天看到",
    "(",
    "👉 ",
]
CONTEXTS_AFTER = ["", " now!!", "，私聊", "。", " 加微信", " → link in bio", "!", ")", "～"]


@dataclass(frozen=True)
class Evasion:
    text: str
    rule: Rule


def evasions(seed: int = 7) -> list[Evasion]:
    """Every rule spelled in every evasive way, inside a short sentence."""
    rng = random.Random(seed)
    out: list[Evasion] = []
    for rule in RULES:
        for spelling in _spellings(rule.term, rng):
            before, after = rng.choice(CONTEXTS_BEFORE), rng.choice(CONTEXTS_AFTER)
            if rule.whole_word:
                # A whole-word term needs a boundary; evaders keep one, or the word changes.
                before = before if not before or not before[-1].isalnum() else before + " "
                after = after if not after or not after[0].isalnum() else " " + after
            out.append(Evasion(before + spelling + after, rule))
    return out


CN_SUBJECTS = ["我", "我们", "老王", "小李", "妈妈", "同事", "楼下的阿姨", "我家猫", "大家", "室友"]
CN_TIMES = ["今天", "昨天晚上", "周末", "早上", "下午三点", "刚才", "明天", "这个月", "春节前"]
CN_PLACES = [
    "胡同口的茶馆",
    "博物馆",
    "公园",
    "图书馆",
    "菜市场",
    "学校食堂",
    "火锅店",
    "地铁站",
    "咖啡店",
    "西湖边",
]
CN_ACTIONS = [
    "喝了一壶龙井",
    "排队买包子",
    "看了一场电影",
    "散步",
    "写博客",
    "打羽毛球",
    "拍了好多照片",
    "吃了一碗牛肉面",
    "和朋友聊天",
    "赌气不说话",
    "学做红烧肉",
    "参观新展览",
]
CN_FEELINGS = ["开心极了", "有点累", "太好吃了", "心情不错", "人好多", "值得一去", "下次还来"]
EN_PHRASES = [
    "Best noodles I have had all year",
    "Anyone up for badminton on Saturday",
    "The new tea shop by the river is open",
    "Finally finished my thesis draft",
    "Rainy morning, hot soup",
    "Our cat learned to open the door",
    "Trying the bus to work this week",
    "Happy birthday to my little brother",
    "Reading on the train again",
    "The museum is free on Wednesdays",
    "Who else is watching the match tonight",
    "Lost my umbrella, found a better one",
    "Dumplings with the whole family",
    "Learning to cook my grandma's recipes",
    "Sunset over the lake was unreal",
    "Moving house next month, send help",
    "Coffee first, questions later",
    "Practising calligraphy every evening",
]
# Words that contain a listed term, or become one once spaces are removed.
NEAR_MISSES = [
    "Had the best scampi in town",
    "Scunthorpe won again",
    "Walking across campus",
    "Classic weekend vibes",
    "Assessment due Friday",
    "Bass guitar practice tonight",
    "New passport photo",
    "Coffee with classmates",
    "The embassy was closed",
    "Grass is greener after rain",
    "Scampi and chips for lunch",
    "Cassandra recommended this book",
    "Penistone market day",
    "Massive thanks to everyone",
    "This is campus life",
    "Reading about cryptography",
    "Idioms are hard to translate",
    "Moneyball is a great film",
]
EMOJI = ["😀", "🍵", "🎉", "👍", "🌸", "🐱", "☀️", "🍜", ""]
TAGS = ["#周末#", "#美食#", "#北京#", "#coffee#", "#study#", ""]


def clean_posts(n: int = 1200, seed: int = 11, near_misses: float = 0.3) -> list[str]:
    """Ordinary posts of at most 140 characters, mixing Chinese and English.

    A share `near_misses` of them carry an English phrase a careless filter would flag.
    """
    rng = random.Random(seed)
    posts: list[str] = []

    def english() -> str:
        return rng.choice(NEAR_MISSES if rng.random() < near_misses else EN_PHRASES)

    while len(posts) < n:
        parts = [
            rng.choice(CN_TIMES)
            + rng.choice(CN_SUBJECTS)
            + "在"
            + rng.choice(CN_PLACES)
            + rng.choice(CN_ACTIONS)
            + "，"
            + rng.choice(CN_FEELINGS)
            + rng.choice(["！", "。", "～", "!!"]),
            english() + rng.choice([".", "!", " :)", " —"]),
        ]
        rng.shuffle(parts)
        extra = rng.choice(
            [
                "",
                " " + english().lower(),
                " " + rng.choice(CN_ACTIONS) + "。",
                f" {rng.randint(2, 99)}块钱",
                " @" + rng.choice(["lao_wang", "xiaoli", "tea_house", "mia"]),
            ]
        )
        post = " ".join(parts) + extra + " " + rng.choice(TAGS) + rng.choice(EMOJI)
        posts.append(post.strip()[:140])
    return posts

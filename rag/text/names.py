"""What a person's name looks like: one rule for bylines, name-only lines, the author
names a passage is read with, and the names an answer gives.

- a Chinese name: 2-4 Chinese characters ("唐于渝"), starting with a common surname
  when it is found inside running text;
- a transliterated (foreign) name: parts joined by a middle dot ("巴拉克·歐巴馬"), or,
  inside running text, a run of three or more characters used to spell foreign sounds
  ("弗莱明");
- a Latin-script name: two or more capitalised words ("Alexander Fleming").
"""
from __future__ import annotations

import re

from .script import IDEOGRAPHS

# the dots written between the parts of a transliterated name (U+00B7, U+30FB, U+2022, U+2027)
NAME_DOTS = "·・•‧"
# one name, for use inside a larger pattern (a byline, a photo credit)
NAME_PATTERN = rf"(?:[{IDEOGRAPHS}]{{1,8}}(?:\s*[{NAME_DOTS}]\s*[{IDEOGRAPHS}]{{1,8}})+|[{IDEOGRAPHS}]{{2,4}})"
_CHINESE_NAME = re.compile(rf"[{IDEOGRAPHS}]{{2,4}}")
_DOTTED_NAME = re.compile(rf"[{IDEOGRAPHS}]{{1,8}}(?:\s*[{NAME_DOTS}]\s*[{IDEOGRAPHS}]{{1,8}})+")
# (letter lookarounds, not \b: Chinese characters count as word characters, "由Alexander Fleming发现")
_LATIN_NAME = re.compile(r"(?<![A-Za-z])[A-Z][a-z]+(?:[ -](?:[A-Z]\.|[A-Z][a-z]+|van|von|de|da|di|du|le|la))*[ -][A-Z][a-z]+(?![A-Za-z])")

# The commonest Chinese surnames (single characters): a person's name starts with one.
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
    "崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛"
    "樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁"
    "冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米"
    "柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)


def is_name_shaped(text: str) -> bool:
    """Is this whole text (a line, an author entry) shaped like one person's name?"""
    t = text.strip()
    return bool(_CHINESE_NAME.fullmatch(t) or _DOTTED_NAME.fullmatch(t))


def is_chinese_name(word: str) -> bool:
    """A word found in running text that can be a Chinese name: 2-4 characters, a common surname first."""
    return bool(_CHINESE_NAME.fullmatch(word)) and word[0] in SURNAMES


# Characters that spell foreign sounds in transliterated names (Xinhua's transliteration
# tables, simplified; compare against folded text). Everyday words are rarely made of three
# or more of them in a row, names often are ("弗莱明", "爱因斯坦", "居里"). Left out: 东, 南,
# common in Chinese place words ("东南亚" is a region, "马路东" a street corner). Foreign place
# names ("莫斯科") match as well: for the name check that is a small price.
TRANSLITERATION_CHARS = set(
    "阿埃艾爱安昂奥巴拜班邦宝保鲍贝本比彼毕宾波伯博布查达戴丹道德登迪蒂丁杜顿多厄恩尔法范菲费芬丰"
    "佛夫弗福富盖甘冈高戈格根贡古瓜圭哈海汉豪赫亨洪胡华怀霍基吉加贾杰捷金居喀卡凯坎康考柯科克肯孔"
    "库奎拉莱赖兰朗劳勒雷蕾里利莉林琳隆卢鲁路伦罗洛吕马玛迈麦曼芒梅门蒙米密明姆摩莫默穆纳娜奈内"
    "尼妮宁纽努诺欧帕潘庞佩彭皮珀普齐奇恰乔切钦琼丘萨塞赛桑瑟森沙莎尚舍申什施史斯松苏索塔泰坦汤唐"
    "特廷图托瓦万旺威韦维温沃乌伍西希锡夏谢辛休雅亚扬耶伊因英尤约泽扎詹兹佐"
)
# (letter lookarounds, not \b: Chinese characters count as word characters, "由Alexander Fleming发现")
_LATIN_NAME = re.compile(r"(?<![A-Za-z])[A-Z][a-z]+(?:[ -](?:[A-Z]\.|[A-Z][a-z]+|van|von|de|da|di|du|le|la))*[ -][A-Z][a-z]+(?![A-Za-z])")
TRANSLITERATION_MIN_CHARS = 3  # two such characters in a row are often an ordinary word ("马里", "利亚")
_SOUND = "[" + "".join(sorted(TRANSLITERATION_CHARS)) + "]"
# in running text a dotted name's parts are spelled with transliteration characters, so the
# name stops where the sentence goes on ("巴拉克·欧巴马成为…" -> "巴拉克·欧巴马")
_DOTTED_IN_TEXT = re.compile(rf"{_SOUND}{{1,8}}(?:\s*[{NAME_DOTS}]\s*{_SOUND}{{1,8}})+")


def foreign_names(folded: str) -> list[str]:
    """Transliterated and Latin-script names in a text already folded to simplified characters:
    dotted names, runs of transliteration characters, capitalised Latin word pairs."""
    found = [m.group(0) for m in _DOTTED_IN_TEXT.finditer(folded)]
    run = []
    for ch in folded + "\0":
        if ch in TRANSLITERATION_CHARS:
            run.append(ch)
            continue
        if len(run) >= TRANSLITERATION_MIN_CHARS and not any("".join(run) in f for f in found):
            found.append("".join(run))
        run = []
    found += [m.group(0) for m in _LATIN_NAME.finditer(folded)]
    return list(dict.fromkeys(found))

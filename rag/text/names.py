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
_CHINESE_NAME = re.compile(rf"[{IDEOGRAPHS}]{{2,4}}")
_DOTTED_NAME = re.compile(rf"[{IDEOGRAPHS}]{{1,8}}(?:\s*[{NAME_DOTS}]\s*[{IDEOGRAPHS}]{{1,8}})+")

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

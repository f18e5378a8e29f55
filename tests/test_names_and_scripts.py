"""Who-questions, traditional characters and figures with thousands separators: the
comparison helpers the evidence ranking and the refusal signals share (rag.text.measures),
and the byline name a paragraph is read with (rag.ingest.corpus.reading_text)."""
import pytest

from rag.text import measures as evidence
from rag.answering import refusal
from rag.ingest.corpus import reading_text
from rag.types import Chunk


@pytest.mark.parametrize("question, wants", [
    ("《加快推动重庆人工智能产业创新发展》这篇决策建议的作者是谁？", True),
    ("数据资源开发利用那篇文章的作者叫什么名字？", True),
    ("长安汽车两江工厂的照片由谁拍摄？", True),
    ("What is the name of the professor who wrote the piece?", True),
    ("Who took the photo in the feature?", True),
    ("谁主办了这组专题？", False),  # plain 谁 often wants an organisation
    ("尖沙咀的九龙酒店是哪位建筑师设计的？", True),  # 位 counts people, whatever the role
    ("赤膀鸭这个物种最早是由哪一位博物学家描述的？", True),
    ("這首歌是哪位歌手唱的？", True),  # read in simplified characters
    ("哪个人最早提出了这个概念？", True),
    ("这个词在哪个地区使用？", False),
    ("数据需求满足率是多少？", False),
])
def test_asks_name(question, wants):
    assert evidence.asks_name(question) is wants


def test_person_names_keeps_names_and_drops_everyday_words_jieba_tags_as_names():
    assert evidence.person_names("记者 张锦辉 摄影 视觉重庆") == ["张锦辉"]
    assert evidence.person_names("（作者：唐于渝）") == ["唐于渝"]
    assert evidence.person_names("高水平建设成渝地区双城经济圈，推进智能化发展") == []
    assert evidence.person_names("作者系西南大学经济管理学院副院长、教授") == []


def test_entities_leave_out_common_words_and_segmentation_slips():
    assert evidence.entities("在智慧医疗方面，文章建议建设什么样的数据库？") == []
    assert evidence.entities("第一篇文章谈算力支撑和谈城市治理时，分别主张打破什么？") == []
    assert set(evidence.entities("重庆要和新疆哈密、甘肃庆阳共建什么？")) >= {"新疆", "甘肃", "庆阳"}


def test_traditional_text_matches_a_simplified_question():
    assert evidence.fold("國立東華大學") == "国立东华大学"
    assert evidence.units("臺灣大學") == evidence.units("台湾大学")
    assert refusal.entity_missing("台湾大学在哪里？", "國立臺灣大學位於臺北市。") == 0.0
    assert refusal.entity_missing("上海大学在哪里？", "國立臺灣大學位於臺北市。") == 1.0
    assert evidence.fold("ascii only") == "ascii only"


def test_thousands_separators_before_a_unit_make_one_number():
    assert evidence.numbers("秘鲁面积1,285,220平方千米") == {"1285220"}
    assert evidence.numbers("100,000人") == {"100000"}
    assert evidence.numbers("1,2,3") == {"1", "2", "3"}


def test_answers_name():
    q = "这篇文章的作者是谁？"
    assert refusal.answers_name(q, "作者是唐于渝[1]。")
    assert not refusal.answers_name(q, "重庆社会科学院城市与区域经济研究所副所长[1]。")
    assert refusal.answers_name("Who took the photo?", "The photo was taken by Zhang Jinhui [1].")
    assert refusal.answers_name("数据需求满足率是多少？", "95%[1]")  # not a who-question


def _chunk(text, author, kind):
    return Chunk(id="d#p1", text=text, source="d.txt", section="s", author=author, paragraph=1,
                 char_start=0, char_end=len(text), kind=kind)


def test_reading_text_adds_the_byline_name_a_paragraph_lacks():
    byline = "（作者系重庆社会科学院城市与区域经济研究所副所长）"
    chunk = _chunk(byline, "唐于渝；作者系重庆社会科学院城市与区域经济研究所副所长", "byline")
    assert reading_text(chunk) == byline + "\n（作者：唐于渝）"
    # an affiliation already in the text, a body paragraph, no author: the text as it is
    assert reading_text(_chunk(byline, "作者系重庆社会科学院城市与区域经济研究所副所长", "byline")) == byline
    assert reading_text(_chunk("正文。", "唐于渝", "body")) == "正文。"
    assert reading_text(_chunk("记者 张锦辉 摄影", "张锦辉", "byline")) == "记者 张锦辉 摄影"

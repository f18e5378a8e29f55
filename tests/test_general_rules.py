"""General rules instead of seed-fitted ones (issue 17, items 4 and 5): bylines and photo
credits only on explicit markers, names in any script, figures with any unit, and answers
kept in the script of the passages they come from."""
from fakes import FakeGenerator
from rag.answering import pipeline as answering, refusal, review
from rag.answering.pipeline import AskOptions
from rag.answering.selection import Scored, UnitWeights
from rag.ingest.corpus import Document, chunk_document
from rag.text import measures, variants
from rag.types import Chunk, Hit


def _chunks(text):
    return chunk_document(Document("doc.txt", text))


# ---------------------------------------------------------------- layout: explicit markers only
def test_a_heading_under_a_title_is_not_a_byline():
    chunks = _chunks("# 青霉素\n\n概述\n\n青霉素是一类抗生素，由弗莱明于1928年发现。\n")
    assert [c.kind for c in chunks] == ["body"] and chunks[0].authors == ()
    assert "概述" in chunks[0].section  # a heading: it names the section, it is nobody's name


def test_a_name_under_a_title_is_a_byline_when_the_piece_has_an_author_line():
    text = "# 加快推动产业创新发展\n\n唐于渝\n\n人工智能是新一轮科技革命的核心驱动。\n\n（作者系重庆社会科学院研究员）\n"
    chunks = _chunks(text)
    assert chunks[0].authors == ("唐于渝", "作者系重庆社会科学院研究员")
    # the same bare name with no author line in the piece: a heading
    assert _chunks(text.replace("\n\n（作者系重庆社会科学院研究员）", ""))[0].authors == ()


def test_intake_is_not_a_photo_credit_but_a_reporters_credit_is():
    chunks = _chunks("# 营养\n\n维生素的摄入\n\n人体每天需要摄入多种维生素，缺乏时会生病\n\n正文到此结束。\n")
    assert all(c.kind == "body" for c in chunks) and all(c.authors == () for c in chunks)
    credit = _chunks("# 工厂\n\n机器人有序作业。\n\n机器人挥舞着手臂 记者 张锦辉 摄影\n")
    assert credit[0].kind == "caption" and "张锦辉" in credit[0].text


def test_a_marked_byline_line_names_the_author_and_a_quoted_source_does_not():
    chunks = _chunks("# 新闻\n\n本报记者 王小明\n\n这是正文，说明了一件事。\n")
    assert chunks[0].authors == ("本报记者 王小明",)
    quote = _chunks("# 名言\n\n学而不思则罔，思而不学则殆——孔子\n")
    assert quote[0].authors == ()


# ---------------------------------------------------------------- names in any script
def test_a_transliterated_or_latin_name_answers_a_name_question():
    q = "青霉素是由谁发现的？"
    assert refusal.answers_name(q, "由弗莱明发现[1]。")
    assert refusal.answers_name(q, "巴拉克·歐巴馬[1]。")
    assert refusal.answers_name(q, "由Alexander Fleming发现[1]。")
    assert not refusal.answers_name(q, "由一所大学的实验室发现[1]。")
    assert measures.person_names("人体每天需要摄入多种维生素") == []


def test_a_name_question_answered_with_a_foreign_name_is_not_repaired_away():
    shown = []  # name_repair only looks for another sentence when the reply names nobody
    reply, note = review.name_repair("青霉素是由谁发现的？", "由弗莱明发现[1]。", shown)
    assert reply == "由弗莱明发现[1]。" and note is None


def test_only_a_question_asking_a_name_outright_has_its_nameless_reply_repaired():
    """"由谁" says a name is wanted; "哪位…" is answered by titles and pen names too ("古龙",
    "仁穆王后": no name to person_names), so there the model's reply stands, while the
    evidence ranking and the refusal's draft_lacks_asked still read it as a name question."""
    shown = [Scored(1.0, 1, 0, "影评认为该片由张彻执导，摄影构图讲究。", 1.0, 1.0)]
    reply, note = review.name_repair("这部电影改编自哪位武侠作家的小说？", "原著是古龙的《九月鹰飞》[1]。", shown)
    assert reply == "原著是古龙的《九月鹰飞》[1]。" and note is None
    assert measures.asks_name("这部电影改编自哪位武侠作家的小说？")
    assert not measures.asks_name_outright("这部电影改编自哪位武侠作家的小说？")
    reply, note = review.name_repair("这部电影由谁执导？", "由一家香港公司出品[1]。", shown)
    assert "张彻" in reply and note


# ---------------------------------------------------------------- figures with any unit
def test_figures_take_any_unit_word():
    found = measures.quantities("算力达到16PFlops，面积3.5平方公里，增长5 percent，2024年，5G网络")
    assert found == ["16PFlops", "3.5平方公里", "5 percent", "2024年"]  # "5G" names a thing
    assert measures.quantities("in 2024 the city grew") == ["2024"]
    assert measures.asked_unit("面积有多少平方公里？") == "平方公里"


def test_customary_and_imperial_units_are_units():
    found = measures.quantities("水深1至12公尺，体重1.7公斤，长13英寸，距岸3海里，占地1000公顷")
    assert found == ["1", "12公尺", "1.7公斤", "13英寸", "3海里", "1000公顷"]


def test_a_measured_dimension_wants_a_figure_in_one_of_its_units():
    """"体长是多少？" asks for a length: "体高之15.6倍" gives a figure, not a length (cmrc-split
    DEV_1173_QUERY_3, where "体长可达52公分" was shown), while any length unit answers a
    question that names another ("多少米" in 公里)."""
    shown = "前肛鳗体长可达52公分。体长为体高之15.6倍。"
    assert measures.asked_dimension("前肛鳗的体长是多少？") == "length"
    assert measures.asked_dimension("面积有多少平方公里？") == "area"  # not length, for its 公里
    assert measures.asked_dimension("体重多少？") == "mass"
    assert measures.asked_dimension("How tall is the tower?") == "length"
    assert measures.asked_dimension("有多少家企业？") == ""  # a count: its unit alone decides
    assert measures.asked_dimension("持续了多长时间？") == ""
    assert not refusal.answers_figure("前肛鳗的体长是多少？", "前肛鳗的体长为体高之15.6倍[1]。", shown)
    assert refusal.answers_figure("前肛鳗的体长是多少？", "体长可达52公分[1]。", shown)
    assert refusal.answers_figure("离岸多少米？", "约3公里[1]。", "离岸约3公里。")
    assert not refusal.answers_figure("有多少家？", "3个[1]。", "共3个。")  # a named counter stays exact
    scored = [Scored(1.0, 1, 0, "体长为体高之15.6倍。"), Scored(0.9, 1, 1, "前肛鳗体长可达52公分。")]
    assert review.figure_sentence("前肛鳗的体长是多少？", "体长为体高之15.6倍[1]。", scored) is scored[1]


# ---------------------------------------------------------------- the source's script
TRADITIONAL = "聯合國安全理事會由十五個會員國組成，其中五個為常任理事國。"


def _trad_hit():
    chunk = Chunk(id="un#p1", text=TRADITIONAL, source="un.txt", section="聯合國", author="", paragraph=1,
                  char_start=0, char_end=len(TRADITIONAL))
    return Hit(rank=1, score=1.0, chunk=chunk)


def test_an_answer_in_simplified_from_a_traditional_passage_is_written_in_traditional():
    opts = AskOptions(k=5, retrieval="hybrid", generator="fake", context_chars=160, max_tokens=64,
                      temperature=0.0, support_min_overlap=0.4)
    decision = refusal.Decision(weights={"lex_best": -8.0}, bias=1.0, threshold=0.5)
    events = list(answering.answer_stream("聯合國安全理事會由多少個會員國組成？", [_trad_hit()],
                                          FakeGenerator("联合国安全理事会由十五个会员国组成[1]。"), opts,
                                          weights=UnitWeights([TRADITIONAL]), decision=decision))
    answer = events[-1].answer
    assert not answer.refused
    assert "聯合國安全理事會由十五個會員國組成" in answer.text
    assert any("script of the passages" in n for n in answer.notes)  # the model's reply, repaired
    assert variants.converted_away(answer.text, [TRADITIONAL]) == []
    assert [c.n for c in answer.citations] == [1]


def test_no_character_is_converted_away_from_its_passages_script():
    passages = [TRADITIONAL, "國立臺灣大學位於臺北市。"]
    for reply in ("联合国安全理事会", "台湾大学位于台北市", "常任理事国有五个"):
        fixed = variants.in_script_of(reply, passages)
        assert variants.converted_away(fixed, passages) == [], fixed
        assert variants.fold(fixed) == variants.fold(reply)  # same words, other script
    # a mixed reply, as many characters of each script: every simplified one the passage
    # writes traditionally is brought back (measured on cmrc-split-trad, DEV_16_QUERY_1)
    mixed = variants.in_script_of("楼曾瑞现任明光社主席及灵實恩光學校校監[1]。", ["樓曾瑞現任明光社主席及靈實恩光學校校監。"])
    assert mixed == "樓曾瑞現任明光社主席及靈實恩光學校校監[1]。"
    assert variants.in_script_of("臺灣大學", ["台湾大学位于台北市。"]) == "台湾大学"  # and the reverse
    assert variants.in_script_of("重庆", [TRADITIONAL + "重庆"]) in ("重慶", "重庆")
    assert variants.converted_away("联合国", [TRADITIONAL]) == ["联", "国"]


def test_a_character_the_passages_write_unchanged_stays_unchanged():
    """A traditional corpus converted by rule holds "齣入" (出 taken for the 齣 of a play) beside
    many a plain 出: the answer's 出 is the passages' 出, not 齣 (cmrc-split-trad DEV_569_QUERY_0,
    whose "玉桂山齣外" missed the gold "玉桂山出外")."""
    passages = ["為香港鴨脷洲島上玉桂山出外的必經之路。", "此路一直是利東邨唯一齣入的行車道路，出口在北。"]
    assert variants.in_script_of("玉桂山出外的必经之路", passages) == "玉桂山出外的必經之路"
    assert variants.converted_away("玉桂山出外", passages) == []
    # where the passages write 齣 more often than 出, the answer follows them
    assert variants.in_script_of("这出戏很长", ["這齣戲很長。", "那齣劇很好，出自名家。", "又一齣新戲。"]) == "這齣戲很長"


def test_a_reply_without_the_asked_figure_is_given_the_sentence_that_gives_it():
    from rag.answering import prompts, review, selection as S

    question = "这种海蛇的毒性约为眼镜蛇的多少倍？"
    shown = [S.Scored(1.0, 1, 0, "约1.5毫克的毒素已足以致命。"), S.Scored(0.9, 1, 1, "这种海蛇的毒性约为眼镜蛇的四至八倍。")]
    # a figure, but not in the unit asked for: the sentence that gives one in it
    assert review.figure_sentence(question, "约1.5毫克的毒素已足以致命[1]。", shown) is shown[1]
    # left alone: a reply that gives the figure, a question that asks for none, a declined
    # reply (the decision handles it), and no sentence giving the figure either
    assert review.figure_sentence(question, "约为眼镜蛇的四至八倍[1]。", shown) is None
    assert review.figure_sentence("这种海蛇生活在哪里？", "约1.5毫克的毒素已足以致命[1]。", shown) is None
    assert review.figure_sentence(question, prompts.NO_ANSWER, shown) is None
    assert review.figure_sentence(question, "约1.5毫克的毒素已足以致命[1]。", shown[:1]) is None

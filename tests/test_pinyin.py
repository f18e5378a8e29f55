"""Chinese names an English question spells in pinyin, found in the corpus by their sound
(rag.retrieval.pinyin): which words are read as names, what the corpus' spellings are,
and what the search of an English question gains from them."""
from __future__ import annotations

from rag.answering import translate
from rag.assistant import Assistant
from rag.config import Settings
from rag.retrieval import pinyin

from fakes import FakeGenerator

CORPUS = {
    "a.txt": "# 白岳峰\n\n白岳峰，朝鲜族，中国足球运动员，司职中场，现效力于天津泰达。\n",
    "b.txt": "# 潘淑\n\n潘淑是孙权的妃子，会稽句章人，后被立为皇后。\n",
    "c.txt": "# 攀树\n\n攀树是一种户外运动，攀树者借助绳索爬上大树。攀树需要专门的装备和知识背景。\n",
    "d.txt": "# 长江\n\n长江是中国最长的河流，流经重庆和武汉，不经过北京。\n",
}


def _assistant(tmp_path) -> Assistant:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return Assistant.load(Settings(embedder="hash", corpus_dir=str(corpus), index_dir=str(tmp_path / "index")))


def _ask_with_rendering(tmp_path, question: str, rendering: str, reply: str):
    """The question asked through a fake model that renders it as `rendering`, then replies."""
    translate._cache.clear()
    lm = FakeGenerator([rendering, reply])
    a = _assistant(tmp_path)
    a.register_generator(lm, "fake")
    try:
        return a.ask(question, generator="fake"), lm
    finally:
        translate._cache.clear()


def test_syllables_come_from_the_dictionary_with_their_characters():
    table = pinyin.syllables()
    assert {"bai", "yue", "feng", "lv", "lu"} <= set(table)
    assert "岳" in table["yue"] and "曾" in table["zeng"] and "曾" in table["ceng"]  # both readings
    assert "呂" in table["lv"] and "吕" in table["lu"]  # ü written v or u
    assert not {"hm", "ng", "t"} & set(table)  # interjections and letters are no syllables


def test_capitalised_pinyin_runs_are_names_other_words_are_not():
    readings = pinyin.names("Which ethnic minority does Bai Yuefeng belong to?")
    # one name, every way to read it ("yue" is also yu-e), the longest syllables first
    assert len(readings) == 1 and readings[0][0] == ("bai", "yue", "feng") and ("bai", "yu", "e", "feng") in readings[0]
    # a possessive, tone marks and an apostrophe between syllables
    assert pinyin.names("Why did Chi Zijian's father choose it?")[0][0] == ("chi", "zi", "jian")
    assert pinyin.names("What is Xī'ān Jiaotong?")[0][0] == ("xi", "an", "jiao", "tong")
    assert not any(r[0] == "xian" for r in pinyin.names("What is Xī'ān Jiaotong?")[0])
    # one syllable is no evidence of a name; English words and lower-case pinyin are not read
    assert pinyin.names("When was Lady Teng made empress?") == []
    assert pinyin.names("Where do the viewers mainly live?") == []
    assert pinyin.names("which bai yuefeng") == []


def test_the_corpus_spellings_of_a_name_are_found_most_frequent_first(tmp_path):
    names = pinyin.PinyinNames(CORPUS.values())
    assert names.find("Which ethnic minority does Bai Yuefeng belong to?") == ["白岳峰"]
    # "Pan Shu" sounds like the empress and like tree climbing: both spellings, the commoner first
    assert names.find("How did Pan Shu, the empress of Sun Quan, die?") == ["攀树", "潘淑", "孙权"]
    # a name the corpus does not hold gives nothing, whatever it sounds like
    assert names.find("Which club did Li Xiaopeng coach?") == []
    assert pinyin.PinyinNames([]).find("Which ethnic minority does Bai Yuefeng belong to?") == []


def test_an_english_question_with_a_pinyin_name_finds_its_passage_lexically(tmp_path):
    a = _assistant(tmp_path)
    q = "Which ethnic minority does Bai Yuefeng belong to?"
    assert "白岳" in a.index.lexical_query(q) and "岳峰" in a.index.lexical_query(q)
    assert a.retrieve(q, k=1, mode="bm25")[0].chunk.section == "白岳峰"
    off = a.index.__class__(a.index.chunks, a.index.dense, a.index.bm25, a.index.embedder,
                            a.index.settings.replace(translate_terms=False), a.index.manifest)
    assert "白岳" not in off.lexical_query(q)  # the setting that turns dictionary terms off turns names off


def test_a_rendering_that_guesses_the_name_wrong_is_searched_with_the_corpus_spelling(tmp_path):
    answer, lm = _ask_with_rendering(tmp_path, "Which ethnic minority does Bai Yuefeng belong to?",
                                     "白羽峰属于哪个少数民族？", "朝鲜族[1]。")
    assert "searched in Chinese as: 白羽峰属于哪个少数民族？ 白岳峰" in answer.notes
    assert answer.hits[0].chunk.section == "白岳峰"
    # the model reads the corpus' spelling beside its own rendering
    assert "白岳峰属" not in lm.prompts[1][-1]["content"] and "白羽峰属于哪个少数民族？ 白岳峰" in lm.prompts[1][-1]["content"]


def test_a_word_the_dictionary_knows_is_no_name(tmp_path):
    a = _assistant(tmp_path)
    q = "Which river does not flow through Beijing?"
    # "Beijing" also sounds like 背景 (background), which the corpus holds: the dictionary's 北京
    # is what the question means, so it is not read as a pinyin name
    assert set(pinyin.PinyinNames(CORPUS.values()).find(q)) == {"北京", "背景"}
    assert a.index.pinyin_spellings(q) == []
    assert "北京" in a.index.lexical_query(q) and "背景" not in a.index.lexical_query(q)


def test_a_name_the_rendering_already_spells_is_left_as_it_is(tmp_path):
    answer, _ = _ask_with_rendering(tmp_path, "How did Pan Shu, the empress, die?", "潘淑是怎么死的？", "资料未提及")
    # 潘淑 is one of the corpus' spellings of "Pan Shu": 攀树 is not added beside it
    assert "searched in Chinese as: 潘淑是怎么死的？" in answer.notes

"""The development suites (rag.evaluation.suites, cmrc_split, suite_run): the CMRC split is
deterministic and disjoint, the traditional suite converts corpus and questions, suites.toml
is parsed and checked, and a run prints one table row per suite and generator (hash
embedder, extractive generator, a tiny CMRC-shaped fixture)."""
import json
from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import ConfigError
from rag.evaluation import cmrc_split
from rag.evaluation.gold import load_gold
from rag.evaluation.suite_run import fit_rows, run_suites, suite_table
from rag.evaluation.suites import build_suite, load_suites, select

ROOT = Path(__file__).resolve().parent.parent

# CMRC-shaped: one paragraph an article, answers with their offsets.
ARTICLES = [
    ("DEV_1", "长江大桥", "长江大桥是一座公路铁路两用桥。这座桥于1957年建成通车。它连接武汉的两个城区。",
     [("长江大桥哪一年建成通车？", "1957年")]),
    ("DEV_2", "黄山", "黄山位于安徽省南部。黄山以奇松、怪石、云海、温泉闻名。这里每年接待大量游客。",
     [("黄山位于哪个省？", "安徽省"), ("黄山以什么闻名？", "奇松、怪石、云海、温泉")]),
    ("DEV_3", "西湖", "西湖是杭州的一个湖泊。西湖的面积约为6.4平方公里。这个湖于2011年列入世界遗产名录。",
     [("西湖的面积是多少？", "约为6.4平方公里")]),
    ("DEV_4", "鼓浪屿", "鼓浪屿是厦门的一个岛屿。岛上有许多钢琴，因此被称为钢琴之岛。",
     [("鼓浪屿为什么被称为钢琴之岛？", "岛上有许多钢琴")]),
    ("DEV_5", "泰山", "泰山是中国五岳之一，主峰海拔1545米。历代帝王在这里举行封禅大典。",
     [("泰山主峰海拔多少米？", "1545米")]),
    ("DEV_6", "布达拉宫", "布达拉宫位于拉萨。这座宫殿始建于公元7世纪。",
     [("布达拉宫始建于什么时候？", "公元7世纪")]),
]


def write_cmrc(path: Path) -> Path:
    data = []
    for aid, title, text, qas in ARTICLES:
        data.append({"id": aid, "title": title, "paragraphs": [{"id": aid, "context": text, "qas": [
            {"id": f"{aid}_QUERY_{n}", "question": q, "answers": [{"text": a, "answer_start": text.index(a)}] * 3}
            for n, (q, a) in enumerate(qas)]}]})
    path.write_text(json.dumps({"version": "v1.0", "data": data}, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def articles(tmp_path):
    return cmrc_split.load_articles(write_cmrc(tmp_path / "cmrc.json"))


# ---------------------------------------------------------------------- the split
def test_the_split_is_deterministic_disjoint_and_ignores_file_order(articles):
    ids = [a.id for a in articles]
    indexed, held_out = cmrc_split.split_ids(ids)
    assert (indexed, held_out) == cmrc_split.split_ids(list(reversed(ids)))
    assert not set(indexed) & set(held_out) and set(indexed) | set(held_out) == set(ids)
    assert len(indexed) == 3
    assert cmrc_split.split_ids(ids, seed=7) != (indexed, held_out) or cmrc_split.split_ids(ids, seed=8) != (indexed, held_out)


def test_questions_fall_on_their_side_of_the_split(articles):
    suite = cmrc_split.build_split_suite(articles, n_answerable=10, n_unanswerable=10)
    indexed, held_out = cmrc_split.split_ids([a.id for a in articles])
    assert sorted(suite.corpus_files) == sorted(f"{i}.md" for i in indexed)
    assert suite.answerable and suite.unanswerable
    assert all(q.article_id in indexed for q in suite.answerable)
    assert all(q.article_id in held_out and not q.answers for q in suite.unanswerable)
    for q in suite.answerable:  # the evidence is the answer's sentence, verbatim from the document
        doc = suite.corpus_files[f"{q.article_id}.md"]
        assert q.evidence in doc and any(a in q.evidence for a in q.answers)
        assert q.evidence.endswith("。") and "。" not in q.evidence[:-1]
    again = cmrc_split.build_split_suite(articles, n_answerable=10, n_unanswerable=10)
    assert again == suite


def test_samples_are_seeded_and_sized(articles):
    one = cmrc_split.build_split_suite(articles, n_answerable=2, n_unanswerable=1)
    assert len(one.answerable) == 2 and len(one.unanswerable) == 1
    assert one == cmrc_split.build_split_suite(articles, n_answerable=2, n_unanswerable=1)


def test_the_title_is_the_documents_heading(articles):
    assert cmrc_split.document_text(articles[0]).startswith("# 长江大桥\n\n长江大桥是一座")


def test_answer_sentence_uses_the_nearest_occurrence_when_the_offset_is_off():
    text = "甲说了1957年。乙在1957年建成。丙没有。"
    assert cmrc_split.answer_sentence(text, text.index("乙") + 1, "1957年") == "乙在1957年建成。"
    assert cmrc_split.answer_sentence(text, 2, "1957年") == "甲说了1957年。"


def test_the_traditional_suite_converts_corpus_questions_answers_and_evidence(articles):
    simp = cmrc_split.build_split_suite(articles, n_answerable=10, n_unanswerable=10)
    trad = cmrc_split.build_split_suite(articles, n_answerable=10, n_unanswerable=10, script="traditional")
    assert [q.id for q in trad.answerable] == [q.id for q in simp.answerable]
    docs = "".join(trad.corpus_files.values())
    assert "這座" in docs or "位於" in docs or "島" in docs
    assert "这座" not in docs and "岛" not in docs
    for s, t in zip(simp.answerable + simp.unanswerable, trad.answerable + trad.unanswerable):
        assert len(t.question) == len(s.question)
    assert any(t.question != s.question for s, t in zip(simp.answerable, trad.answerable))
    for q in trad.answerable:
        assert q.evidence in trad.corpus_files[f"{q.article_id}.md"] and any(a in q.evidence for a in q.answers)


def test_write_corpus_keeps_unchanged_files_and_drops_stale_ones(tmp_path):
    folder = cmrc_split.write_corpus({"a.md": "# A\n\n甲。\n", "b.md": "# B\n\n乙。\n"}, tmp_path / "c")
    before = (folder / "a.md").stat().st_mtime_ns
    cmrc_split.write_corpus({"a.md": "# A\n\n甲。\n"}, folder)
    assert (folder / "a.md").stat().st_mtime_ns == before and not (folder / "b.md").exists()


# ---------------------------------------------------------------------- the English questions
def test_the_english_questions_sit_on_the_right_side_of_the_real_split():
    items = load_gold(ROOT / "evals" / "suites" / "cmrc_en.jsonl")
    raw = [json.loads(x) for x in (ROOT / "evals" / "suites" / "cmrc_en.jsonl").read_text(encoding="utf-8").splitlines()]
    arts = {a.id: a for a in cmrc_split.load_articles(ROOT / "evals" / "cmrc2018" / "cmrc2018_dev.json")}
    indexed, _ = cmrc_split.split_ids(arts)
    assert sum(i.answerable for i in items) >= 70 and sum(not i.answerable for i in items) >= 20
    for item, obj in zip(items, raw):
        article = arts[obj["source_id"].split("_QUERY_")[0]]
        assert item.lang == "en" and not any("\u4e00" <= ch <= "\u9fff" for ch in item.question)
        assert item.answerable == (article.id in indexed)
        if item.answerable:
            source = next(q for q in article.questions if q.id == obj["source_id"])
            assert set(item.answers) == set(source.answers)
            assert item.evidence[0] in cmrc_split.document_text(article)


# ---------------------------------------------------------------------- the second English set
# The swapped-in names of cmrc_en2's "entity" questions (English in the question, these are the
# Chinese names the corpus would use): none may occur in any indexed article.
EN2_ABSENT = {
    "DEV_1911_QUERY_2": ["长吻海蛇", "黄腹海蛇"], "DEV_1569_QUERY_2": ["玩偶之家", "娃娃屋", "傀儡家庭"],
    "DEV_1888_QUERY_0": ["兰斯"], "DEV_132_QUERY_2": ["奥利奇", "奥利希", "奥里奇"], "DEV_341_QUERY_3": ["胡德山"],
}
# The subjects of its questions about articles that are not indexed: no indexed article names them.
EN2_HELD_OUT_NAMES = ["数字推盘", "蓝色时期", "山谷道邨", "项少龙", "寻秦记", "中国中兽", "华堡", "罗迪奇", "吸蜜鹦鹉",
                      "45 ACP", "旺楚克", "拉美国家首脑", "潘淑", "宝马7", "科罗拉多河蟾蜍", "曾炯"]


def _suite_lines(name: str) -> list[dict]:
    path = ROOT / "evals" / "suites" / name
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_the_second_english_set_asks_about_cmrc_questions_no_other_suite_uses():
    """Its ids and source questions are unique, and none of its source questions is used by
    cmrc_en or cmrc_premise (those two share a few with each other, which is older)."""
    files = ["cmrc_en.jsonl", "cmrc_en2.jsonl", "cmrc_premise.jsonl"]
    sources = {f: [o["source_id"] for o in _suite_lines(f)] for f in files}
    for f in files:
        assert len({o["id"] for o in _suite_lines(f)}) == len(sources[f]), f
    assert len(set(sources["cmrc_en2.jsonl"])) == len(sources["cmrc_en2.jsonl"])
    for other in ("cmrc_en.jsonl", "cmrc_premise.jsonl"):
        assert not set(sources["cmrc_en2.jsonl"]) & set(sources[other]), other


def test_the_second_english_set_sits_on_the_right_side_and_its_evidence_is_in_the_corpus():
    path = ROOT / "evals" / "suites" / "cmrc_en2.jsonl"
    items = load_gold(path)
    raw = _suite_lines("cmrc_en2.jsonl")
    arts = {a.id: a for a in cmrc_split.load_articles(ROOT / "evals" / "cmrc2018" / "cmrc2018_dev.json")}
    indexed, held_out = cmrc_split.split_ids(arts)
    corpus = cmrc_split.build_split_suite(list(arts.values()), n_answerable=0, n_unanswerable=0).corpus_files
    assert [o["id"] for o in raw] == [f"en2-{n:03d}" for n in range(1, len(raw) + 1)]
    kinds = [o["kind"] for o in raw]
    assert {k: kinds.count(k) for k in set(kinds)} == {"answerable": 50, "not-indexed": 15, "entity": 5,
                                                       "attribute": 5, "figure": 5}
    assert set(kinds[:16]) == set(kinds)  # any prefix of a few questions holds every kind
    assert len({i.question for i in items}) == len(items)
    for item, obj in zip(items, raw):
        article = arts[obj["source_id"].split("_QUERY_")[0]]
        source = next(q for q in article.questions if q.id == obj["source_id"])
        assert item.lang == "en" and not any("\u4e00" <= ch <= "\u9fff" for ch in item.question), item.id
        assert item.answerable == (obj["kind"] == "answerable"), item.id
        if item.answerable:
            text = corpus[f"{article.id}.md"]  # the article as written into the suite's corpus
            assert article.id in indexed and set(item.answers) == set(source.answers), item.id
            assert len(item.evidence) == 1 and item.evidence[0] in text, item.id
            assert any(a in item.evidence[0] for a in item.answers), item.id
        elif obj["kind"] == "not-indexed":
            assert article.id in held_out and not item.answers and not item.evidence, item.id
        else:  # a false premise about an indexed article
            assert article.id in indexed and obj["why"] and not item.answers and not item.evidence, item.id
    assert set(EN2_ABSENT) == {o["source_id"] for o in raw if o["kind"] == "entity"}
    for name in [n for names in EN2_ABSENT.values() for n in names] + EN2_HELD_OUT_NAMES:
        assert not any(name in text for text in corpus.values()), name


# ---------------------------------------------------------------------- the false-premise questions
# The swapped-in names of the "entity" questions: none may occur in any indexed article.
PREMISE_ABSENT = {
    "fp-001": ["角冠雉"], "fp-004": ["苏宇航"], "fp-007": ["威利斯"], "fp-010": ["乌拉旺"],
    "fp-013": ["枫丹白露"], "fp-016": ["雅畈"], "fp-019": ["华南师范大学", "华南师大"],
    "fp-022": ["红喉鸣冠雉"], "fp-025": ["梅里特"], "fp-028": ["穆坦巴拉"], "fp-031": ["金臀"],
    "fp-034": ["菊池氏", "龟壳花"], "fp-037": ["天一中学"], "fp-040": ["诅咒的圣剑"],
    "fp-043": ["爪哇蚓鳗"], "fp-046": ["切塞纳"], "fp-049": ["安达充"], "fp-052": ["塞斯纳180", "C-180"],
    "fp-055": ["黄日华"], "fp-058": ["天王殿"],
}


def test_the_false_premise_questions_are_about_indexed_articles_and_name_nothing_indexed():
    path = ROOT / "evals" / "suites" / "cmrc_premise.jsonl"
    items = load_gold(path)
    raw = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    arts = {a.id: a for a in cmrc_split.load_articles(ROOT / "evals" / "cmrc2018" / "cmrc2018_dev.json")}
    indexed, _ = cmrc_split.split_ids(arts)
    corpus = [cmrc_split.document_text(arts[i]) for i in indexed]
    assert len(items) == 60 and not any(i.answerable or i.answers or i.evidence for i in items)
    assert all(i.lang == "zh" for i in items) and len({i.question for i in items}) == 60
    assert sorted(o["kind"] for o in raw) == ["attribute"] * 20 + ["entity"] * 20 + ["figure"] * 20
    sources = {o["source_id"].split("_QUERY_")[0] for o in raw}
    assert len(sources) >= 40 and sources <= set(indexed)
    for obj in raw:
        article = arts[obj["source_id"].split("_QUERY_")[0]]
        assert any(q.id == obj["source_id"] for q in article.questions) and obj["why"]
    assert set(PREMISE_ABSENT) == {o["id"] for o in raw if o["kind"] == "entity"}
    for qid, names in PREMISE_ABSENT.items():
        question = next(o["question"] for o in raw if o["id"] == qid)
        assert any(n in question for n in names), qid
        assert not any(n in text for n in names for text in corpus), qid


# ---------------------------------------------------------------------- the name questions
def test_the_name_questions_are_about_unused_indexed_articles_and_their_answers_are_in_them():
    """cmrc_names.jsonl: 30 answerable name questions (the answer a name the article gives, in an
    evidence sentence of the article as indexed) and 30 asking for a person the article never
    names, interleaved; 60 different indexed articles that no other suite file asks about."""
    raw = _suite_lines("cmrc_names.jsonl")
    items = load_gold(ROOT / "evals" / "suites" / "cmrc_names.jsonl")
    arts = {a.id: a for a in cmrc_split.load_articles(ROOT / "evals" / "cmrc2018" / "cmrc2018_dev.json")}
    indexed, _ = cmrc_split.split_ids(arts)
    corpus = cmrc_split.build_split_suite(list(arts.values()), n_answerable=0, n_unanswerable=0).corpus_files
    assert [o["id"] for o in raw] == [f"nm-{n:03d}" for n in range(1, 61)]
    assert [o["kind"] for o in raw] == ["name", "unnamed"] * 30
    assert len({i.question for i in items}) == 60 and all(i.lang == "zh" for i in items)
    sources = [o["source_id"] for o in raw]
    assert len(set(sources)) == 60 and set(sources) <= set(indexed)
    others = {o["source_id"].split("_QUERY_")[0] for f in (ROOT / "evals" / "suites").glob("*.jsonl")
              if f.name != "cmrc_names.jsonl" for o in _suite_lines(f.name) if o.get("source_id")}
    assert not set(sources) & others
    for item, obj in zip(items, raw):
        text = corpus[f"{obj['source_id']}.md"]
        assert item.answerable == (obj["kind"] == "name") and obj["why"], item.id
        if item.answerable:
            assert len(item.evidence) == 1 and item.evidence[0] in text, item.id
            assert len(item.answers) == 1 and item.answers[0] in item.evidence[0], item.id
        else:
            assert not item.answers and not item.evidence, item.id
    foreign = [o["answers"][0] for o in raw if o["kind"] == "name" and "·" in o["answers"][0]]
    assert len(foreign) >= 3, foreign  # dotted transliterations among them (more are undotted: 乔姆斯基)


# ---------------------------------------------------------------------- suites.toml
TOML = """
[defaults]
cache = "cache"
cmrc = "cmrc.json"
seed = 2018

[[suite]]
name = "split"
kind = "cmrc-split"
answerable = 3
unanswerable = 2

[[suite]]
name = "split-trad"
kind = "cmrc-split"
script = "traditional"
answerable = 3
unanswerable = 2

[[suite]]
name = "english"
kind = "questions"
questions = "en.jsonl"
corpus_of = "split"
test_only = true
"""


@pytest.fixture
def suite_file(tmp_path):
    write_cmrc(tmp_path / "cmrc.json")
    indexed, held = cmrc_split.split_ids([a[0] for a in ARTICLES])
    art = {a[0]: a for a in ARTICLES}
    a_in, a_out = art[indexed[0]], art[held[0]]
    q, ans = a_in[3][0]
    sentence = cmrc_split.answer_sentence(a_in[2], a_in[2].index(ans), ans)
    lines = [{"id": "en-1", "question": f"Question about {a_in[1]}?", "answers": [ans], "evidence": [sentence],
              "answerable": True, "lang": "en", "source_id": f"{a_in[0]}_QUERY_0"},
             {"id": "en-x1", "question": f"Question about {a_out[1]}?", "answers": [], "evidence": [],
              "answerable": False, "lang": "en", "source_id": f"{a_out[0]}_QUERY_0"}]
    (tmp_path / "en.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    path = tmp_path / "suites.toml"
    path.write_text(TOML, encoding="utf-8")
    return path


def test_suites_toml_is_parsed_with_paths_beside_it(suite_file):
    specs = load_suites(suite_file)
    assert [(s.name, s.kind, s.test_only) for s in specs] == [
        ("split", "cmrc-split", False), ("split-trad", "cmrc-split", False), ("english", "questions", True)]
    assert specs[0].path("cmrc") == suite_file.parent / "cmrc.json"
    assert specs[1].options["script"] == "traditional" and specs[0].number("seed", 0) == 2018
    assert specs[0].cache_dir == suite_file.parent / "cache"
    assert [s.name for s in select(specs, ["english"])] == ["english"]
    with pytest.raises(ConfigError, match="nope"):
        select(specs, ["nope"])


@pytest.mark.parametrize("bad, message", [
    ('[[suite]]\nname = "a"\nkind = "squad"\n', "kind"),
    ('[[suite]]\nname = "a"\nkind = "gold"\n[[suite]]\nname = "a"\nkind = "gold"\n', "two suites"),
    ('[[suite]]\nname = "q"\nkind = "questions"\nquestions = "x.jsonl"\n', "corpus_of"),
    ('[[suite]]\nname = "g"\nkind = "cmrc-given"\n', "exclude_of"),
    ('[[suite]]\nname = "a"\nkind = "gold"\ntest_only = "yes"\n', "test_only"),
    ('[defaults]\nseed = 1\n', "no \\[\\[suite\\]\\]"),
    ('[[suite]\n', "not valid TOML"),
])
def test_bad_suite_files_say_what_is_wrong(tmp_path, bad, message):
    path = tmp_path / "s.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_suites(path)


def test_building_writes_the_corpus_into_the_cache_and_points_the_settings_at_it(suite_file):
    specs = load_suites(suite_file)
    built = build_suite(specs[1], Settings(embedder="hash"), specs)
    corpus = Path(built.settings.corpus_dir)
    assert corpus.parent.parent == suite_file.parent / "cache" and len(list(corpus.glob("*.md"))) == 3
    assert any("鼓浪嶼" in p.read_text(encoding="utf-8") or "島" in p.read_text(encoding="utf-8")
               or "這座" in p.read_text(encoding="utf-8") for p in corpus.glob("*.md"))
    assert [i.answerable for i in built.items].count(True) == 3 and [i.answerable for i in built.items].count(False) == 2
    english = build_suite(specs[2], Settings(embedder="hash"), specs)
    assert english.settings.corpus_dir == build_suite(specs[0], Settings(embedder="hash"), specs).settings.corpus_dir


# ---------------------------------------------------------------------- a run and its table
def test_a_run_prints_one_row_per_suite_and_generator(suite_file, tmp_path):
    specs = load_suites(suite_file)
    out = tmp_path / "out"
    results = run_suites(specs, Settings(embedder="hash"), generators=["extractive"], out_dir=out)
    table = suite_table(results)
    lines = [x for x in table.splitlines() if x.startswith("| ")]
    assert lines[0].startswith("| suite | generator |") and "right and cited" in lines[0]
    assert [x.split(" | ")[0] for x in lines[1:]] == ["| split", "| split-trad", "| english (test only)"]
    assert all(" | 3 / 2 | " in x for x in lines[1:3]) and " | 1 / 1 | " in lines[3]
    for r in results:
        report = json.loads((out / f"{r.suite}-extractive" / "report.json").read_text(encoding="utf-8"))
        assert report["summary"] == r.summary and len(report["rows"]) == r.summary["n_questions"]
        assert all("signals" in row and "refused" in row for row in report["rows"])
        assert 0.0 <= r.summary["refusal_recall"] <= 1.0
    assert (out / "suites.md").read_text(encoding="utf-8").count("| extractive |") == 3
    assert set(fit_rows(out, "extractive")) == {"split", "split-trad"}  # the test-only suite is never fitted on
    assert "english" in fit_rows(out, "extractive", include_test_only=True)


def test_a_run_with_ids_asks_only_those_questions(suite_file, tmp_path):
    """run_suites(ids=...): only the questions with those ids; a suite holding none is skipped."""
    specs = load_suites(suite_file)
    first = build_suite(specs[0], Settings(embedder="hash"), list(specs)).items[0].id
    results = run_suites(specs, Settings(embedder="hash"), generators=["extractive"], out_dir=tmp_path / "out",
                         ids={first})
    # the traditional twin keeps its questions' ids; the English suite holds none of them
    assert [(r.suite, r.summary["n_questions"]) for r in results] == [("split", 1), ("split-trad", 1)]
    rows = json.loads((tmp_path / "out" / "split-extractive" / "report.json").read_text(encoding="utf-8"))["rows"]
    assert [row["id"] for row in rows] == [first]


# ---------------------------------------------------------------------- the real suites, small
@pytest.mark.slow
def test_the_real_suites_on_ten_questions_each_give_sane_figures(tmp_path, monkeypatch):
    """evals/suites.toml with the default embedder and the extractive generator, the first
    10 questions of each suite (the corpora and indexes are built once into evals/.cache).
    Loose ranges: this guards against a broken protocol (nothing answered, nothing refused),
    not against a quality change."""
    shared = ROOT.parent / "shared" / "data"
    if not (shared / "nomiracl").is_dir():
        shared = Path("/work/shared/data")
    monkeypatch.setenv("RAG_SHARED_DATA", str(shared))
    monkeypatch.chdir(ROOT)  # the seed suite uses the settings' seeds/ and index/
    specs = load_suites(ROOT / "evals" / "suites.toml")
    results = {r.suite: r for r in run_suites(specs, Settings.load(), generators=["extractive"],
                                               out_dir=tmp_path / "out", limit=10)}
    assert set(results) == {"cmrc-split", "cmrc-split-trad", "cmrc-en", "cmrc-en2", "cmrc-premise", "cmrc-para", "cmrc-para2",
                            "cmrc-names", "cmrc-polar", "cmrc-polar2", "nomiracl-zh", "cmrc-given", "seed-gold"}
    assert results["cmrc-polar"].test_only and results["cmrc-polar2"].test_only  # reported, not fitted on
    for name in ("cmrc-split", "cmrc-split-trad"):
        f = results[name].figures()
        assert f["right and cited"] >= 0.4 and f["evidence recall"] >= 0.4, (name, f)
        assert f["unanswerable refused"] >= 0.3 and f["answerable refused"] <= 0.5, (name, f)
    assert results["seed-gold"].figures()["right and cited"] >= 0.5
    assert results["nomiracl-zh"].summary["n_answerable"] == 5
    assert results["cmrc-given"].summary["n_answerable"] == 5 and results["cmrc-given"].figures()["right and cited"] >= 0.4
    assert all(r.summary["n_errors"] == 0 for r in results.values())


def test_a_run_of_one_suite_keeps_the_other_suites_in_the_table(tmp_path):
    from rag.evaluation.suite_run import SuiteResult, write_tables

    first = SuiteResult("a", "extractive", False, str(tmp_path / "a"), {"correct_cited": 0.5}, 1.0)
    second = SuiteResult("b", "extractive", True, str(tmp_path / "b"), {"correct_cited": 0.75}, 2.0)
    write_tables([first], tmp_path)
    write_tables([second], tmp_path)
    rows = json.loads((tmp_path / "suites.json").read_text(encoding="utf-8"))["results"]
    assert [(r["suite"], r["summary"]["correct_cited"]) for r in rows] == [("a", 0.5), ("b", 0.75)]
    again = SuiteResult("a", "extractive", False, str(tmp_path / "a"), {"correct_cited": 0.25}, 1.0)
    write_tables([again], tmp_path)  # the same suite again replaces its row
    rows = json.loads((tmp_path / "suites.json").read_text(encoding="utf-8"))["results"]
    assert [(r["suite"], r["summary"]["correct_cited"]) for r in rows] == [("b", 0.75), ("a", 0.25)]
    assert "0.250" in (tmp_path / "suites.md").read_text(encoding="utf-8")


def _given(qid: str, k: int, title: str, text: str):
    from rag.types import Chunk

    return Chunk(id=f"given:{qid}:{k}", text=text, source="t", section=title, author="", paragraph=k,
                 char_start=0, char_end=len(text))


def test_given_passages_weigh_terms_over_the_whole_suite_not_one_question(shared_hash_assistant):
    """Nine of the ten passages handed to the question name its subject; counted over those
    alone the subject weighs little and the passage about another country sharing "国土面积"
    comes first. Over all the suite's passages (another question's forty too) the subject is
    rare again and the passage giving Israel's area comes first."""
    from rag.evaluation.nomiracl import OwnPassagesAssistant

    asked = "以色列国土面积多大？"
    own = ([_given("a", 1, "俄罗斯旅游", "俄罗斯国土面积1707.54万平方公里，森林面积多达867万平方公里。"),
            _given("a", 2, "以色列", "以色列面积1.52万平方公里，以色列国土南北狭长。")]
           + [_given("a", k, "以色列", f"以色列第{k}个行政区的面积和人口。") for k in range(3, 11)])
    other = [_given("b", k, "重庆", f"重庆第{k}个开发区的国土规划和面积。") for k in range(1, 41)]
    again = [_given("c", k, "重庆", c.text) for k, c in enumerate(other[:5])]  # the same texts, other ids
    a = OwnPassagesAssistant(shared_hash_assistant, {asked: own, "重庆有几个开发区？": other, "重庆的开发区多大？": again})
    assert a.retrieve(asked, k=2)[0].chunk.id == "given:a:2"
    assert a.unit_weights.n == 50  # each passage text counted once, every question's
    alone = OwnPassagesAssistant(shared_hash_assistant, {asked: own})
    assert alone.retrieve(asked, k=2)[0].chunk.id == "given:a:1"

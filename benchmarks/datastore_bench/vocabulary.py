"""The words the synthetic municipal file is made of, and the queries searched for in it."""

from __future__ import annotations

import datetime as dt


def words(text: str) -> list[str]:
    return text.split()


# (municipality, weight, 町字, telephone area code)
CITIES: list[tuple[str, float, list[str], str]] = [
    (
        "下関市",
        20,
        words("豊浦町 菊川町 豊田町 豊北町 長府 彦島 新地町 唐戸町 綾羅木 安岡町 小月町 王司"),
        "083",
    ),
    ("宇部市", 13, words("常盤町 琴芝町 西岐波 東岐波 厚南 小野 楠町 船木"), "0836"),
    ("山口市", 15, words("小郡 秋穂 阿知須 徳地 阿東 湯田温泉 大内 宮野 平川 吉敷"), "083"),
    ("萩市", 4, words("椿東 川上 須佐 田万川 むつみ 旭 福栄"), "0838"),
    ("防府市", 9, words("牟礼 華城 佐波 右田 富海 中関 向島"), "0835"),
    ("下松市", 4, words("末武 花岡 久保 東豊井 笠戸島"), "0833"),
    ("岩国市", 10, words("今津町 川下 麻里布町 錦町 美和町 周東町 由宇町 玖珂町"), "0827"),
    ("光市", 4, words("室積 浅江 島田 三井 大和"), "0833"),
    ("長門市", 3, words("仙崎 深川 三隅 日置 油谷"), "0837"),
    ("柳井市", 3, words("柳井津 古開作 伊保庄 平郡"), "0820"),
    ("美祢市", 2, words("美東町 秋芳町 大嶺町 伊佐町"), "0837"),
    ("周南市", 11, words("徳山 新南陽 熊毛 鹿野 櫛浜 久米 富田"), "0834"),
    ("山陽小野田市", 5, words("小野田 厚狭 埴生 高千帆"), "0836"),
    ("周防大島町", 1, words("久賀 大島 東和 橘"), "0820"),
    ("和木町", 0.4, ["和木"], "0827"),
    ("上関町", 0.3, words("室津 祝島"), "0820"),
    ("田布施町", 0.8, words("麻郷 城南"), "0820"),
    ("平生町", 0.7, words("佐賀 曽根"), "0820"),
    ("阿武町", 0.4, words("奈古 福賀"), "08388"),
]
# (種別, weight): the category column users filter on.
KINDS: list[tuple[str, float]] = [
    ("公民館", 8),
    ("集会所", 10),
    ("保育園", 7),
    ("幼稚園", 4),
    ("小学校", 6),
    ("中学校", 3),
    ("図書館", 2),
    ("体育館", 2),
    ("公園", 12),
    ("児童館", 2),
    ("診療所", 6),
    ("歯科医院", 5),
    ("薬局", 6),
    ("避難所", 9),
    ("消防署", 1),
    ("交番", 2),
    ("郵便局", 3),
    ("支所", 1),
    ("福祉センター", 2),
    ("老人ホーム", 4),
]
NICE_NAMES = words("ひまわり あおぞら さくら みどり わかば ひかり すみれ たんぽぽ なかよし のぞみ")
KANJI_NUMBERS = "一二三四五六"
REMARKS = [
    "駐車場あり",
    "バリアフリー対応",
    "令和7年度改修予定",
    "土日祝休み",
    "要予約（電話受付：平日９時～１７時）",
    "定員は４月１日現在",
    "月,水,金のみ開館",
    "旧名称「中央会館」",
    "耐震改修済み",
    "Wi-Fi利用可",
    "指定管理者が運営",
    "２階は休止中",
]
WIDE = str.maketrans("0123456789,.-", "０１２３４５６７８９，．－")
HEADER = [
    "番号",
    "施設名",
    "所在地",
    "種別",
    "開設日",
    "定員",
    "前年比",
    "緯度",
    "経度",
    "電話番号",
    "備考",
]
REIWA_START = dt.date(2019, 5, 1)
HEISEI_START = dt.date(1989, 1, 8)
FIRST_DAY = dt.date(1990, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)
# Text queries: words of three or more characters found in 施設名 / 所在地, by how common they are.
Q_WORDS: dict[str, list[str]] = {
    "municipality": [c for c, _, _, _ in CITIES if len(c) >= 3],
    "facility": [k for k, _ in KINDS if len(k) >= 3],
    "town": [t for _, _, towns, _ in CITIES for t in towns if len(t) >= 3],
}
WORDS_2 = ["萩市", "光市", "公園", "交番", "薬局", "長府"]
SHORT_FILTER_KINDS = ["公園", "避難所", "小学校", "薬局"]
SHORT_ALONE = "q: 2 characters"
SHORT_FILTERED = "q: 2 characters + 種別 = …"

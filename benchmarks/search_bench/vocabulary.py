"""The synthetic catalog's words: topics, organisations, groups, tags and phrases."""

from __future__ import annotations

# -- vocabulary ---------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    return text.split()


# (title, slug, kind, first five digits of the 全国地方公共団体コード)
ORGS: list[tuple[str, str, str, str]] = [
    ("山口県", "yamaguchi-pref", "prefecture", "35000"),
    ("下関市", "shimonoseki-city", "municipality", "35201"),
    ("宇部市", "ube-city", "municipality", "35202"),
    ("山口市", "yamaguchi-city", "municipality", "35203"),
    ("萩市", "hagi-city", "municipality", "35204"),
    ("防府市", "hofu-city", "municipality", "35206"),
    ("下松市", "kudamatsu-city", "municipality", "35207"),
    ("岩国市", "iwakuni-city", "municipality", "35208"),
    ("光市", "hikari-city", "municipality", "35210"),
    ("長門市", "nagato-city", "municipality", "35211"),
    ("柳井市", "yanai-city", "municipality", "35212"),
    ("美祢市", "mine-city", "municipality", "35213"),
    ("周南市", "shunan-city", "municipality", "35215"),
    ("山陽小野田市", "sanyo-onoda-city", "municipality", "35216"),
    ("周防大島町", "suooshima-town", "municipality", "35305"),
    ("和木町", "waki-town", "municipality", "35321"),
    ("上関町", "kaminoseki-town", "municipality", "35341"),
    ("田布施町", "tabuse-town", "municipality", "35343"),
    ("平生町", "hirao-town", "municipality", "35344"),
    ("阿武町", "abu-town", "municipality", "35502"),
    ("広島県", "hiroshima-pref", "prefecture", "34000"),
    ("広島市", "hiroshima-city", "municipality", "34100"),
    ("呉市", "kure-city", "municipality", "34202"),
    ("尾道市", "onomichi-city", "municipality", "34205"),
    ("福山市", "fukuyama-city", "municipality", "34207"),
    ("福岡県", "fukuoka-pref", "prefecture", "40000"),
    ("北九州市", "kitakyushu-city", "municipality", "40100"),
    ("福岡市", "fukuoka-city", "municipality", "40130"),
    ("久留米市", "kurume-city", "municipality", "40203"),
    ("島根県", "shimane-pref", "prefecture", "32000"),
    ("松江市", "matsue-city", "municipality", "32201"),
    ("浜田市", "hamada-city", "municipality", "32202"),
    ("出雲市", "izumo-city", "municipality", "32203"),
    ("鳥取県", "tottori-pref", "prefecture", "31000"),
    ("鳥取市", "tottori-city", "municipality", "31201"),
    ("米子市", "yonago-city", "municipality", "31202"),
    ("岡山県", "okayama-pref", "prefecture", "33000"),
    ("岡山市", "okayama-city", "municipality", "33100"),
    ("倉敷市", "kurashiki-city", "municipality", "33202"),
    ("愛媛県", "ehime-pref", "prefecture", "38000"),
    ("松山市", "matsuyama-city", "municipality", "38201"),
    ("今治市", "imabari-city", "municipality", "38202"),
    ("徳島市", "tokushima-city", "municipality", "36201"),
    ("高松市", "takamatsu-city", "municipality", "37201"),
    ("高知市", "kochi-city", "municipality", "39201"),
    ("佐賀市", "saga-city", "municipality", "41201"),
    ("長崎市", "nagasaki-city", "municipality", "42201"),
    ("熊本市", "kumamoto-city", "municipality", "43100"),
    ("大分市", "oita-city", "municipality", "44201"),
    ("別府市", "beppu-city", "municipality", "44202"),
]
GROUPS: list[tuple[str, str]] = [
    ("bousai", "防災・安全"),
    ("kosodate", "子育て・教育"),
    ("kanko", "観光・文化"),
    ("kenko", "健康・福祉"),
    ("kankyo", "環境・エネルギー"),
    ("kotsu", "交通・インフラ"),
    ("tokei", "人口・統計"),
    ("gyosei", "行政・財政"),
    ("sangyo", "産業・経済"),
    ("kurashi", "くらし・住まい"),
]
# (title word, group, core tags)
TOPICS: list[tuple[str, str, list[str]]] = [
    ("指定緊急避難場所", "bousai", ["避難所", "防災", "災害"]),
    ("避難所一覧", "bousai", ["避難所", "防災"]),
    ("ハザードマップ", "bousai", ["防災", "ハザードマップ", "地図"]),
    ("洪水浸水想定区域", "bousai", ["防災", "洪水", "河川"]),
    ("土砂災害警戒区域", "bousai", ["防災", "土砂災害"]),
    ("津波浸水想定", "bousai", ["防災", "津波"]),
    ("消防水利", "bousai", ["消防", "防災"]),
    ("救急出動件数", "bousai", ["救急", "消防", "統計"]),
    ("AED設置場所", "kenko", ["AED", "医療", "公共施設"]),
    ("医療機関一覧", "kenko", ["医療", "病院"]),
    ("介護サービス事業所", "kenko", ["介護", "福祉"]),
    ("薬局一覧", "kenko", ["医療", "薬局"]),
    ("健康診断受診率", "kenko", ["健康", "統計"]),
    ("予防接種実施医療機関", "kenko", ["医療", "予防接種"]),
    ("人口統計", "tokei", ["人口", "統計"]),
    ("年齢別人口", "tokei", ["人口", "統計", "年齢"]),
    ("町丁別世帯数", "tokei", ["人口", "世帯"]),
    ("出生数・死亡数", "tokei", ["人口", "人口動態"]),
    ("転入転出者数", "tokei", ["人口", "人口動態"]),
    ("将来人口推計", "tokei", ["人口", "推計"]),
    ("観光施設一覧", "kanko", ["観光", "施設"]),
    ("観光客数", "kanko", ["観光", "統計"]),
    ("宿泊者数", "kanko", ["観光", "宿泊"]),
    ("文化財一覧", "kanko", ["文化財", "観光"]),
    ("イベント情報", "kanko", ["イベント", "観光"]),
    ("温泉施設", "kanko", ["温泉", "観光"]),
    ("子育て支援施設", "kosodate", ["子育て", "施設"]),
    ("保育園一覧", "kosodate", ["子育て", "保育園"]),
    ("幼稚園一覧", "kosodate", ["子育て", "幼稚園"]),
    ("小学校一覧", "kosodate", ["教育", "学校"]),
    ("学校給食献立", "kosodate", ["教育", "給食"]),
    ("児童館", "kosodate", ["子育て", "児童"]),
    ("図書館蔵書数", "kosodate", ["図書館", "教育"]),
    ("公共施設一覧", "gyosei", ["公共施設", "施設"]),
    ("公衆トイレ", "kurashi", ["公共施設", "トイレ"]),
    ("公衆無線LAN", "kurashi", ["Wi-Fi", "公共施設"]),
    ("公園一覧", "kurashi", ["公園", "公共施設"]),
    ("空き家バンク", "kurashi", ["空き家", "住宅"]),
    ("市営住宅", "kurashi", ["住宅", "公共施設"]),
    ("地価公示", "kurashi", ["地価", "土地"]),
    ("ごみ収集日", "kankyo", ["ごみ", "環境"]),
    ("ごみ分別辞典", "kankyo", ["ごみ", "分別"]),
    ("大気汚染測定結果", "kankyo", ["大気", "環境"]),
    ("水質検査結果", "kankyo", ["水質", "環境"]),
    ("気象観測データ", "kankyo", ["気象", "環境"]),
    ("再生可能エネルギー導入量", "kankyo", ["エネルギー", "環境"]),
    ("バス停留所", "kotsu", ["バス", "交通"]),
    ("駐車場一覧", "kotsu", ["駐車場", "交通"]),
    ("道路工事情報", "kotsu", ["道路", "交通"]),
    ("橋梁点検結果", "kotsu", ["橋梁", "インフラ"]),
    ("予算書", "gyosei", ["予算", "財政"]),
    ("決算状況", "gyosei", ["決算", "財政"]),
    ("入札結果", "gyosei", ["入札", "契約"]),
    ("職員数", "gyosei", ["職員", "統計"]),
    ("投票所一覧", "gyosei", ["選挙", "投票所"]),
    ("選挙結果", "gyosei", ["選挙", "統計"]),
    ("事業所数", "sangyo", ["事業所", "統計"]),
    ("農業産出額", "sangyo", ["農業", "統計"]),
    ("漁獲量", "sangyo", ["漁業", "統計"]),
    ("有効求人倍率", "sangyo", ["雇用", "統計"]),
]
EXTRA_TAGS = words("""
オープンデータ 標準データセット 推奨データセット 位置情報 緯度経度 一覧 施設情報 月次 年次 随時更新 地図 GIS
5つ星 CSV 機械判読 安全 安心 くらし 高齢者 障害者 外国人 多言語 英語 バリアフリー
夜間 休日 緊急 点検 調査 計画 条例 補助金 助成 申請 届出 窓口
相談 講座 スポーツ 体育館 プール 公民館 集会所 コミュニティ 自治会 ボランティア NPO 男女共同参画
国際交流 姉妹都市 ふるさと納税 移住 定住 就職 創業 中小企業 商店街 特産品 農産物 水産物
林業 森林 河川 海岸 港湾 空港 鉄道 自転車 タクシー 渋滞 交通事故 防犯
犯罪 火災 地震 台風 大雨 熱中症 感染症 ワクチン 検診 がん 歯科 妊婦
乳幼児 ひとり親 放課後 学童 奨学金 給付 手当
""")
YEAR_TAGS = [f"令和{n}年度" for n in range(1, 8)] + [f"平成{n}年度" for n in range(20, 31)]
DEPARTMENTS = words("""
総務課 防災危機管理課 観光振興課 子育て支援課 健康増進課 環境政策課 情報政策課 統計調査課
都市計画課 財政課 教育委員会 選挙管理委員会
""")
FORMATS = [
    ("CSV", "csv", "text/csv"),
    ("XLSX", "xlsx", "application/vnd.ms-excel"),
    ("PDF", "pdf", "application/pdf"),
    ("JSON", "json", "application/json"),
]
FORMAT_WEIGHTS = [0.5, 0.2, 0.2, 0.1]
LICENSES = ["cc-by-4.0", "pdl-1.0", "cc0-1.0"]
LICENSE_WEIGHTS = [0.6, 0.25, 0.15]
FREQUENCIES = ["", "年次", "月次", "随時", "四半期"]

FACET_FIELDS = ["organization", "groups", "tags", "res_format", "license_id"]
WORDS_2 = words("""
人口 避難 観光 AED 子育 公園 統計 防災 施設 医療 保育 給食
津波 介護 温泉 選挙 駐車 図書
""")
PHRASES = words("""
避難所 子育て支援 公共施設 人口統計 観光客数 ハザードマップ 指定緊急避難場所 保育園
下関市 医療機関 ごみ分別 土砂災害警戒区域 バス停留所 文化財 令和5年度 学校給食
空き家バンク 介護サービス 年齢別人口 標準データセット
""")


def all_tags() -> list[str]:
    seen: dict[str, None] = {}
    for _, _, core in TOPICS:
        seen.update(dict.fromkeys(core))
    seen.update(dict.fromkeys(EXTRA_TAGS))
    seen.update(dict.fromkeys(o[0] for o in ORGS))
    seen.update(dict.fromkeys(YEAR_TAGS))
    seen.update(dict.fromkeys(t[0] for t in TOPICS))
    seen.update(dict.fromkeys(g[1] for g in GROUPS))
    return list(seen)[:300]

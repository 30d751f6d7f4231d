"""Whether a value reads as a person's name, an organisation's name, or an address to 番地.

Japanese names are short: a family name of one to four kanji and a given name of one to four
kanji or kana, often with a space between ("山田 太郎"). Facility names end in words such as
センター, 館 or 園, and organisations carry a legal-form marker (株式会社, (株), 医療法人 …);
neither is a person. Without a column name to go on, only "family name from the list below,
space, given name" counts, which keeps place names such as "中央 公園" out.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_KANJI = "\u4e00-\u9fff\uf900-\ufaff々〆ヵヶ"
_HIRA = "\u3041-\u3096"
_KATA = "\u30a1-\u30fa\u30fc"

_SPACED_NAME_RE = re.compile(
    f"([{_KANJI}]{{1,4}}|[{_HIRA}]{{2,6}}|[{_KATA}]{{2,8}}) ([{_KANJI}{_HIRA}{_KATA}]{{1,6}})"
)
_KANJI_NAME_RE = re.compile(f"[{_KANJI}]{{2,5}}")
_KANA_NAME_RE = re.compile(f"[{_HIRA}]{{3,10}}|[{_KATA}]{{3,12}}")
_LATIN_NAME_RE = re.compile(r"[A-Za-z][A-Za-z'\-]+,? [A-Za-z][A-Za-z'\-]+")
_SPACES_RE = re.compile(r"\s+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Common family names; only used where no column name says the column holds names.
SURNAMES = _words(
    """
    佐藤 鈴木 高橋 田中 伊藤 渡辺 渡邊 渡邉 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村
    林 斎藤 斉藤 齋藤 清水 山崎 森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田
    後藤 近藤 村上 遠藤 青木 坂本 福田 太田 西村 藤井 金子 岡本 藤原 中野 三浦 原田 中川 松田
    竹内 小野 田村 中山 和田 石田 森田 上田 原 柴田 酒井 工藤 横山 宮崎 宮本 内田 高木 安藤 島田
    谷口 大野 高田 丸山 今井 河野 藤本 村田 武田 上野 杉山 増田 小山 大塚 平野 菅原 久保 松井
    千葉 岩崎 桜井 櫻井 木下 野口 松尾 菊地 菊池 野村 新井 渡部 佐野 杉本 古川 小島 大西 市川
    水野 小松 五十嵐 北村 菅野 吉川 山内 西田 服部 川口 辻 関 永井 秋山 中西 岩田 田口 荒木 安田
    大橋 飯田 川村 吉村 松岡 中田 本田 小池 須藤 石原 内藤 小西 黒田 樋口 久保田 早川 浅野 松下
    大久保 桑原 熊谷 高野 平田 上原 吉岡 片山 宮田 永田 西川 大川 岩本 菅 堀 星野 荒井 小田 望月
    矢野 松村 今村 河合 堤 土屋 北川 関口 川上 岡崎 福島 秋元 松原 武藤 宮下 小沢 小澤 富田 平井
    西山 浜田 濱田 山中 馬場 尾崎 大石 内山 坂口 原口 松浦 杉浦 吉原 新田 本間 奥村 竹田 篠原
    上村 金井 中尾 小倉 堀内 太田 大島 野田 西尾 三宅 栗原 大谷 高山 成田 石橋 小泉 奥田 宮内
    比嘉 金城 大城 宮城 玉城 知念 島袋 佐久間 茂木 長尾 森本 田代 古賀 安藤 福井 山根
    """
)

CORPORATE_MARKERS = (
    "株式会社", "有限会社", "合同会社", "合資会社", "合名会社", "(株)", "(有)", "(同)", "(資)",
    "(名)", "(合)", "(医)", "(福)", "(社)", "(財)", "(学)", "(宗)", "(特非)", "㈱", "㈲", "㈾",
    "㈴", "法人", "組合", "協会", "連合会", "商工会", "財団", "社団", "事業団", "公社",
    "機構", "協議会", "委員会", "自治会", "町内会", "学園", "会社", "グループ", "ホールディングス",
    "カブシキガイシャ", "ユウゲンガイシャ", "ゴウドウガイシャ", "ホウジン", "(カ)", "(ユ)",
    "Inc.", "INC.", "Co.,", "CO.,", "Ltd", "LTD", "LLC", "K.K.", "Corp",
)  # fmt: skip
# A municipality or ward running a business itself ("千代田区", "○○市長"). Two kanji at
# least before 市/町/村, so family names such as 中村 or 木村 stay names.
_PUBLIC_BODY_RE = re.compile(
    f"[{_KANJI}ヶケ]{{2,}}(?:都|道|府|県|市|区|町|村)(?:長|役所|役場)?|[{_KANJI}]+(?:役所|役場)"
)

# Endings and words of facility, place and business names, never of a person's name.
FACILITY_WORDS = (
    "センター", "ホール", "プラザ", "クリニック", "ステーション", "ハウス", "ルーム", "ビル",
    "公園", "広場", "会館", "病院", "医院", "診療所", "薬局", "学校", "図書館", "保育", "幼稚園",
    "こども園", "集会所", "公民館", "体育館", "施設", "事務所", "営業所", "出張所", "支所", "本店",
    "支店", "食堂", "商店", "酒店", "本舗", "工業", "産業", "物産", "水産", "農園", "牧場",
    "駐車場", "避難", "神社", "小学", "中学", "高校", "大学", "地区", "団地", "庁舎", "分館",
)  # fmt: skip
# Single-character endings; 橋 宮 部 屋 場 寺 are left out because they end family names
# (高橋, 二宮, 阿部, 土屋, 馬場, 小野寺).
_FACILITY_ENDINGS = tuple("館園所院校署局課室会社店庁舎棟駅港亭軒庵苑荘塾")
# Placeholders staff write in a name column instead of a name.
_NOT_NAMES = _words(
    "不明 不詳 未定 未記入 未入力 非公開 空き 空欄 欠員 該当なし 募集中 調整中 未設置 無し なし 同上 省略"
    " 匿名 個人 本人 担当 担当者 代表 管理者 責任者 その他 ほか 他 別紙 別途 確認中 未登録 無"
)

_HONORIFICS = ("様", "さま", "さん", "殿", "氏")
_TITLES = (
    "代表取締役社長", "代表取締役", "取締役", "代表理事", "理事長", "代表社員", "代表者", "代表",
    "会長", "社長", "院長", "園長", "施設長", "所長", "店長", "管理者", "組合長",
)  # fmt: skip

# An address written down to the lot: 1番地, 3番5号, 1-2-3, 2丁目4 …
_BANCHI_RE = re.compile(
    r"[0-9０-９一二三四五六七八九十百]+\s*(?:番地|番|号)"
    r"|[0-9０-９]+\s*[-－ー‐―−の]\s*[0-9０-９]+"
    r"|丁目\s*[0-9０-９一二三四五六七八九十]"
)
_FIRST_DIGIT_RE = re.compile(r"[0-9０-９一二三四五六七八九十]+\s*(?:丁目|番|-|－|号|の)|[0-9０-９]")


def normalize_name(value: str) -> str:
    """NFKC (full-width letters and half-width kana folded), one space between parts, titles
    and 様 dropped."""
    text = _SPACES_RE.sub(" ", unicodedata.normalize("NFKC", value)).strip()
    for title in _TITLES:
        if text.startswith(title):
            text = text[len(title) :].lstrip()
            break
    for honorific in _HONORIFICS:
        if text.endswith(honorific) and len(text) > len(honorific) + 1:
            text = text[: -len(honorific)].rstrip()
            break
    return text


_CORPORATE_RE = re.compile("|".join(re.escape(m) for m in CORPORATE_MARKERS))
_FACILITY_WORD_RE = re.compile("|".join(FACILITY_WORDS))

# Names repeat down a column (the same company on every row), so decisions are cached.
_CACHE_SIZE = 1 << 16


@lru_cache(maxsize=_CACHE_SIZE)
def is_organisation(value: str) -> bool:
    """A legal-form marker (株式会社, (株), 医療法人 …) or a public body's own name."""
    text = unicodedata.normalize("NFKC", value).replace(" ", "").replace("\u3000", "")
    if _CORPORATE_RE.search(text) is not None:
        return True
    return _PUBLIC_BODY_RE.fullmatch(text) is not None


def _facility_like(text: str) -> bool:
    return text.endswith(_FACILITY_ENDINGS) or _FACILITY_WORD_RE.search(text) is not None


@lru_cache(maxsize=_CACHE_SIZE)
def looks_like_person(value: str, *, strict: bool = False) -> bool:
    """Whether `value` reads as a person's name.

    `strict` is for columns whose name says nothing: then only a known family name, a space
    and a given name count.
    """
    text = normalize_name(value)
    if not 2 <= len(text) <= 20 or any(c.isdigit() or c in "@/()" for c in text):
        return False
    compact = text.replace(" ", "")
    if compact in _NOT_NAMES or _facility_like(compact) or is_organisation(text):
        return False
    spaced = _SPACED_NAME_RE.fullmatch(text)
    if strict:
        return spaced is not None and spaced.group(1) in SURNAMES
    if spaced is not None:
        return True
    return bool(
        _KANJI_NAME_RE.fullmatch(text)
        or _KANA_NAME_RE.fullmatch(text)
        or _LATIN_NAME_RE.fullmatch(text)
    )


def clearly_person(value: str) -> bool:
    """A name with a space between its parts, or one starting with a common family name."""
    if not looks_like_person(value):
        return False
    text = normalize_name(value)
    return " " in text or any(text[:n] in SURNAMES for n in (1, 2, 3))


def has_banchi(value: str) -> bool:
    """Whether an address goes down to the lot (番地, 号, 1-2-3), i.e. points at one house."""
    return _BANCHI_RE.search(value) is not None


def mask_name(value: str) -> str:
    """The first character only: 山田 太郎 → 山**."""
    text = normalize_name(value)
    return text[:1] + "**" if text else "**"


def mask_address(value: str) -> str:
    """The address up to the first number: 東京都千代田区霞が関***."""
    text = value.strip()
    m = _FIRST_DIGIT_RE.search(text)
    head = text[: m.start()] if m else text[: max(1, len(text) // 2)]
    return head[:20] + "***"

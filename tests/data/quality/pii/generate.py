"""Writes the personal-data corpus beside this script: `python generate.py`.

Every name, number and address here is made up. 個人番号 are built with the check digit of
総務省令第八十五号 第五条, computed by the literal P(n)/Q(n) definition (independent of the
scanner's weight table), so the scanner's formula is checked against the ordinance, not itself.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent


def my_number(first_eleven: str) -> str:
    """P(n): n-th digit from the right of the eleven; Q(n) = n+1 (n ≤ 6), n−5 (n ≥ 7)."""
    total = 0
    for n in range(1, 12):
        p = int(first_eleven[-n])
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    r = total % 11
    return first_eleven + str(0 if r <= 1 else 11 - r)


def wrong_check(first_eleven: str) -> str:
    good = my_number(first_eleven)
    return good[:11] + str((int(good[11]) + 1) % 10)


def write_csv(name: str, rows: list[list[str]], encoding: str = "utf-8") -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    (HERE / name).write_bytes(buffer.getvalue().encode(encoding))


MN1 = my_number("98320567321")  # 983205673214, the worked example
MN2 = my_number("12345678901")
MN3 = my_number("40213355896")
MN4 = my_number("73310064552")
BAD = wrong_check("52017736402")


def main() -> None:
    # --- kinds that must block -----------------------------------------------------------
    write_csv(
        "my_number.csv",
        [
            ["受付番号", "個人番号", "区分"],
            ["A-001", MN1, "新規"],
            ["A-002", f"{MN2[:4]} {MN2[4:8]} {MN2[8:]}", "更新"],
            ["A-003", BAD, "新規"],  # wrong check digit: a warning only, in this column
            ["A-004", "", "取消"],
        ],
    )
    write_csv(
        "mobile_phone_sjis.csv",
        [
            ["催し名", "開催日", "問い合わせ先"],
            ["春の植樹祭", "2024/4/20", "090-1234-5678"],
            ["夏休み工作教室", "2024/7/27", "市民課 0312345678"],  # 10 digits, not mobile
            ["秋のバザー", "2024/10/5", "実行委員 08012345678"],
        ],
        encoding="cp932",
    )
    write_csv(
        "personal_phone.csv",
        [
            ["役職", "氏名", "自宅電話", "備考"],
            ["会長", "佐藤 一郎", "0422-12-3456", ""],
            ["副会長", "田中 花子", "0422-98-7654", "連絡は夜間"],
            ["会計", "欠員", "", ""],
        ],
    )
    write_csv(
        "email_freemail.csv",
        [
            ["登録番号", "活動分野", "連絡用メール"],
            ["V-01", "清掃", "yamada.taro@gmail.com"],
            ["V-02", "見守り", "hanako-0123@docomo.ne.jp"],
            ["V-03", "事務局", "shimin@city.example.lg.jp"],  # a public body's: passes
            ["V-04", "広報", "kouhou@example-npo.org"],  # an organisation's own: passes
        ],
    )
    write_csv(
        "birth_date_with_name.csv",
        [
            ["氏名", "生年月日", "性別"],
            ["高橋 健一", "1975/03/14", "男"],
            ["伊藤 美咲", "平成2年8月1日", "女"],
        ],
    )
    write_csv(
        "names_kana_address.csv",
        [
            ["受付", "申請者カナ", "現住所"],
            ["1", "ヤマダ タロウ", "北海道札幌市中央区北1条西2丁目3番地"],
            ["2", "スズキ イチロウ", "札幌市北区北8条西5丁目"],  # down to 丁目 only: passes
            ["3", "", "東京都千代田区霞が関1-2-3"],
        ],
    )
    write_csv(
        "names_by_values.csv",
        [
            ["記入欄", "数量", "メモ"],
            ["佐藤 一郎", "2", ""],
            ["鈴木 次郎", "1", ""],
            ["高橋 三郎", "3", ""],
            ["田中 四郎", "1", ""],
        ],
    )
    write_csv(
        "honseki.csv",
        [
            ["整理番号", "本籍", "備考"],
            ["1", "広島県広島市中区基町10番地", ""],
            ["2", "", "転出"],
        ],
    )

    # --- the same kinds in disguise ------------------------------------------------------
    fw = str.maketrans("0123456789-", "０１２３４５６７８９－")
    write_csv(
        "disguised.csv",
        [
            ["項目", "内容"],
            ["連絡", "０９０－１２３４－５６７８".translate(fw)],
            ["連絡", "+81 90-2345-6789"],
            ["連絡", "+81(0)80 3456 7890"],
            ["連絡", "070ー4567ー8901"],  # katakana long vowel marks for hyphens
            ["番号", f"{MN3[:4]}　{MN3[4:8]}　{MN3[8:]}".translate(fw)],
            ["番号", f"{MN4[:4]}‐{MN4[4:8]}‐{MN4[8:]}"],
            ["メール", "ｙａｍａｄａ＠ｇｍａｉｌ．ｃｏｍ"],
            ["メール", "問い合わせは taro_x@icloud.com まで"],
        ],
    )
    write_csv(
        "disguised_sjis.csv",
        [
            ["氏名", "電話", "携帯メール"],
            ["山田太郎", "09012345678", "taro@ezweb.ne.jp"],
            ["ﾔﾏﾀﾞ ﾊﾅｺ", "(03)1234-5678", ""],
        ],
        encoding="cp932",
    )

    # --- facility and standard files that must pass --------------------------------------
    write_csv(
        "evacuation_space.csv",
        [
            ["都道府県コード又は市区町村コード", "NO", "名称", "名称_カナ", "住所", "緯度", "経度",
             "電話番号", "内線番号", "想定収容人数", "対象となる町会・自治会", "備考"],
            ["131016", "1", "千代田区立麹町小学校", "チヨダクリツコウジマチショウガッコウ",
             "東京都千代田区麹町2丁目8番", "35.684", "139.738", "03-3263-0000", "", "800",
             "麹町一丁目町会", ""],
            ["131016", "2", "番町中央公園", "バンチョウチュウオウコウエン", "東京都千代田区三番町1-1",
             "35.690", "139.741", "", "", "1500", "三番町町会", "夜間照明あり"],
        ],
    )  # fmt: skip
    write_csv(
        "aed.csv",
        [
            ["都道府県コード又は市区町村コード", "NO", "名称", "名称_カナ", "住所", "方書", "緯度",
             "経度", "設置位置", "電話番号", "内線番号", "法人番号", "団体名", "利用可能曜日",
             "開始時間", "終了時間", "小児対応設備の有無", "URL", "備考"],
            ["012025", "1", "函館市民会館", "ハコダテシミンカイカン", "北海道函館市湯川町1丁目32番1号",
             "", "41.78", "140.78", "1階事務室前", "0138-57-3111", "", "4000020012025",
             "函館市", "月火水木金土日", "09:00", "22:00", "有", "https://example.jp/aed", ""],
            ["012025", "2", "湯川公民館", "ユカワコウミンカン", "北海道函館市湯川町3-5-20", "2階",
             "41.77", "140.79", "玄関ホール", "0138-59-0000", "21", "4000020012025", "函館市",
             "火水木金土", "09:00", "21:00", "無", "", ""],
        ],
    )  # fmt: skip
    write_csv(
        "medical_institutions.csv",
        [
            ["NO", "名称", "名称_カナ", "医療機関の種類", "住所", "電話番号", "FAX番号", "法人番号",
             "法人の名称", "医療機関コード", "診療科目", "病床数", "URL"],
            ["1", "つなぐ中央病院", "ツナグチュウオウビョウイン", "病院", "青森県青森市新町1-2-3",
             "017-123-4567", "017-123-4568", "1234567890123", "医療法人社団つなぐ会", "0112345678",
             "内科;外科", "120", "https://tsunagu-hp.example.jp"],
            ["2", "よつば内科クリニック", "ヨツバナイカクリニック", "無床診療所",
             "青森県青森市本町5丁目6番7号", "017-777-0000", "", "", "", "0198765432", "内科", "0",
             ""],
        ],
    )  # fmt: skip
    write_csv(
        "care_services.csv",
        [
            ["NO", "介護サービス事業所名称", "介護サービス事業所名称_カナ", "実施サービス", "住所",
             "電話番号", "FAX番号", "メールアドレス", "法人番号", "法人の名称", "事業所番号", "定員"],
            ["1", "デイサービスひだまり", "デイサービスヒダマリ", "通所介護", "宮城県仙台市青葉区一番町1-1-1",
             "022-111-2222", "022-111-2223", "info@hidamari-care.example.jp", "9370005000001",
             "社会福祉法人ひだまり福祉会", "0470100011", "30"],
            ["2", "訪問介護ステーションあおば", "ホウモンカイゴステーションアオバ", "訪問介護",
             "宮城県仙台市青葉区本町2丁目3番4号", "022-333-4444", "", "aoba@city.sendai.example.lg.jp",
             "", "仙台市", "0470100029", ""],
        ],
    )  # fmt: skip
    write_csv(
        "childcare.csv",
        [
            ["NO", "名称", "名称_カナ", "種別", "住所", "電話番号", "メールアドレス", "団体名",
             "受入年齢", "収容定員", "一時預かりの有無"],
            ["1", "さくら保育園", "サクラホイクエン", "認可私立保育所", "福岡県福岡市中央区天神1丁目1番1号",
             "092-711-0000", "sakura@example-hoiku.jp", "社会福祉法人さくら会", "0", "90", "有"],
            ["2", "子育て広場ぽかぽか", "コソダテヒロバポカポカ", "認可外保育所", "福岡市中央区大名2-2-2",
             "090-9876-5432", "pokapoka.hiroba@gmail.com", "", "1", "10", "無"],
            ["3", "中央こども園", "チュウオウコドモエン", "認定こども園（幼保連携型）",
             "福岡県福岡市中央区舞鶴3丁目3番3号", "092-733-1111", "kodomo@city.fukuoka.example.lg.jp",
             "福岡市", "0", "120", "有"],
        ],
    )  # fmt: skip
    food_header = ["自治体コード", "営業施設名称、屋号又は商号", "営業の種類", "営業施設所在地",
                   "営業施設電話番号", "法人名", "法人番号", "代表者氏名", "許可番号", "許可年月日"]  # fmt: skip
    write_csv(
        "food_business.csv",
        [
            food_header,
            ["040002", "カフェつなぐ 本町店", "飲食店営業", "宮城県仙台市青葉区本町1-2-3",
             "022-200-1111", "株式会社つなぐフーズ", "1370001000001", "代表取締役 山田 太郎",
             "仙保生第100号", "2023/04/01"],
            ["040002", "弁当の森", "そうざい製造業", "宮城県仙台市宮城野区榴岡4-5-6", "022-200-2222",
             "有限会社もりや", "2370002000002", "森 花子", "仙保生第101号", "2023/05/10"],
            ["040002", "キッチンカーGOGO", "飲食店営業", "宮城県仙台市青葉区中央1丁目",
             "080-1111-2222", "合同会社ゴーゴー", "3370003000003", "佐々木 一郎", "仙保生第102号",
             "2023/06/15"],
        ],
    )  # fmt: skip
    write_csv(
        "food_business_sole_trader.csv",
        [
            food_header,
            ["040002", "カフェつなぐ 本町店", "飲食店営業", "宮城県仙台市青葉区本町1-2-3",
             "022-200-1111", "株式会社つなぐフーズ", "1370001000001", "山田 太郎", "仙保生第100号",
             "2023/04/01"],
            ["040002", "やきとり大将", "飲食店営業", "宮城県仙台市青葉区国分町2-1-1", "022-200-3333",
             "", "", "鈴木 大輔", "仙保生第103号", "2023/07/01"],
        ],
    )  # fmt: skip
    write_csv(
        "id_columns.csv",
        [
            ["管理ID", "更新日時", "名前", "件数"],
            *[
                [f"{100000000000 + i * 7919:012d}", f"2024010{i % 9 + 1}1230", name, str(i)]
                for i, name in enumerate(
                    ["中央公園", "北公園", "南児童遊園", "東広場", "西緑地", "桜並木", "川沿い遊歩道",
                     "駅前広場"]
                )
            ],
        ],
    )  # fmt: skip

    # --- a workbook: a facility list first, the personal data on the second sheet --------
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "施設一覧"
    first.append(["名称", "住所", "電話番号"])
    first.append(["市民センター", "宮崎県宮崎市橘通西1-1-1", "0985-25-0000"])
    first.append(["中央図書館", "宮崎県宮崎市船塚3丁目210番地", "0985-29-0000"])
    second = book.create_sheet("利用者名簿")
    second.append(["氏名", "生年月日", "携帯"])
    second.append(["小林 和也", "1990-01-02", "090-5555-6666"])
    second.append(["加藤 由美", "1988-12-30", "080 7777 8888"])
    book.save(HERE / "second_sheet.xlsx")


if __name__ == "__main__":
    main()

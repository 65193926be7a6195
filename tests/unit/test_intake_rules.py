"""Intake's plain-Python rules: the gazetteer, duplicates, photos, import files, Open311 attributes, webhooks."""

import io
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from openpyxl import Workbook
from PIL import Image

from services.intake.domain.categories import Attribute, InvalidAttribute, check_attributes
from services.intake.domain.classification import words
from services.intake.domain.duplicates import DuplicatePolicy, OpenCase, find_duplicate
from services.intake.domain.location import AddressNotFound, AddressNotPrecise, Compound, Gazetteer, Road, RoadSegment
from services.intake.domain.slips import UnreadableFile, read_slips
from shared.photos import PhotoRefused, clean_photo
from shared.webhooks import WebhookRejected, new_secret, signed_headers, verify

GAZETTEER = Gazetteer([Compound("c1", "华阳花园", ("华阳花园小区",), 31.216, 121.42)],
                      [Road("r1", "华阳路", (RoadSegment(1, 199, 31.215, 121.422), RoadSegment(200, 399, 31.226, 121.422)))],
                      noise=["长宁区", "华阳路街道"])


def test_an_address_is_matched_by_compound_or_by_road_and_house_number():
    assert GAZETTEER.match("上海市长宁区华阳路街道华阳花园3号楼").gazetteer_id == "c1"
    assert GAZETTEER.match("华阳路２５０弄").lat == 31.226  # full-width digits are read too
    with pytest.raises(AddressNotPrecise):
        GAZETTEER.match("华阳路街道华阳路附近")
    with pytest.raises(AddressNotFound):
        GAZETTEER.match("火星路1号")


def _case(category="drainage", text="楼下下水道堵塞污水冒出来", lat=31.22, lon=121.43, hours_ago=1):
    return OpenCase(uuid4(), "CODE", category, lat, lon, datetime.now(UTC) - timedelta(hours=hours_ago),
                    frozenset(words(text)))


def test_a_similar_nearby_recent_report_of_the_same_sub_item_is_linked():
    case = _case()
    found = find_duplicate(category_code="drainage", lat=31.2201, lon=121.4301, at=datetime.now(UTC),
                           words=words("下水道堵了，污水往外冒"), open_cases=[case], policy=DuplicatePolicy())
    assert found.link == case and found.similarity >= 0.35


def test_far_old_or_different_reports_are_not_linked_and_another_sub_item_is_only_suspected():
    policy, now, text = DuplicatePolicy(), datetime.now(UTC), words("下水道堵了，污水往外冒")
    assert find_duplicate(category_code="drainage", lat=31.23, lon=121.43, at=now, words=text,
                          open_cases=[_case()], policy=policy).link is None  # about 1 km away
    assert find_duplicate(category_code="drainage", lat=31.22, lon=121.43, at=now, words=text,
                          open_cases=[_case(hours_ago=100)], policy=policy).link is None
    assert find_duplicate(category_code="drainage", lat=31.22, lon=121.43, at=now, words=words("路灯不亮"),
                          open_cases=[_case()], policy=policy).link is None
    other = find_duplicate(category_code="sanitation", lat=31.22, lon=121.43, at=now, words=text,
                           open_cases=[_case()], policy=policy)
    assert other.link is None and other.suspected is not None


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x8825] = {2: (31, 13, 12)}  # GPSInfo
    exif[0x0110] = "SecretPhone X"  # camera model
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_photo_is_checked_by_content_and_re_encoded_without_metadata():
    raw = _jpeg_with_gps()
    assert b"SecretPhone" in raw
    photo = clean_photo(raw, max_bytes=1_000_000)
    assert photo.content_type == "image/jpeg" and (photo.width, photo.height) == (40, 30)
    assert b"SecretPhone" not in photo.content and not Image.open(io.BytesIO(photo.content)).getexif()
    for bad, code in ((b"GIF89a not really", "not_an_image"), (b"", "empty_photo"), (raw, "photo_too_large")):
        with pytest.raises(PhotoRefused) as refused:
            clean_photo(bad, max_bytes=100 if bad == raw else 1_000_000)
        assert refused.value.code == code


def test_import_files_are_read_from_csv_in_utf8_or_gb18030_and_from_xlsx():
    text = "来源,内容,纬度,经度\n意见箱,路灯不亮,31.22,121.43\n,,,\n问卷,垃圾没人清运,31.22,121.43\n"
    for encoding in ("utf-8-sig", "gb18030"):
        rows = read_slips(text.encode(encoding), "slips.csv", max_rows=10)
        assert [r.number for r in rows] == [2, 4] and rows[0].values["description"] == "路灯不亮"
    book = Workbook()
    book.active.append(["kind", "description", "lat", "lon"])
    book.active.append(["visit_log", "噪音扰民", 31.22, 121.43])
    out = io.BytesIO()
    book.save(out)
    rows = read_slips(out.getvalue(), "visits.xlsx", max_rows=10)
    assert rows[0].values == {"kind": "visit_log", "description": "噪音扰民", "lat": "31.22", "lon": "121.43"}
    # The same slip has the same key wherever it sits: importing a file again creates nothing new.
    assert read_slips(text.encode(), "a.csv", max_rows=10)[0].key == read_slips(text.encode(), "a.csv", max_rows=10)[0].key


def test_an_import_file_without_a_description_column_or_with_too_many_rows_is_refused_whole():
    with pytest.raises(UnreadableFile) as refused:
        read_slips(b"a,b\n1,2\n", "x.csv", max_rows=10)
    assert refused.value.code == "missing_column"
    with pytest.raises(UnreadableFile) as refused:
        read_slips(("内容\n" + "噪音\n" * 5).encode(), "x.csv", max_rows=3)
    assert refused.value.code == "too_many_rows"
    with pytest.raises(UnreadableFile):
        read_slips(b"PK\x03\x04 broken", "x.xlsx", max_rows=3)


def test_open311_attributes_are_checked_against_their_datatypes():
    attributes = (Attribute("depth", "singlevaluelist", required=True, values=(("knee", "Knee"), ("ankle", "Ankle"))),
                  Attribute("times", "multivaluelist", values=(("day", "Day"), ("night", "Night"))),
                  Attribute("count", "number"))
    assert check_attributes(attributes, {"depth": "knee", "times": ["night", "night"], "count": "3"}) == {
        "depth": "knee", "times": ["night"], "count": "3"}
    for given, code in (({}, "missing_attribute"), ({"depth": "waist"}, "invalid_attribute"),
                        ({"depth": "knee", "count": "many"}, "invalid_attribute"),
                        ({"depth": "knee", "colour": "red"}, "unknown_attribute")):
        with pytest.raises(InvalidAttribute) as refused:
            check_attributes(attributes, given)
        assert refused.value.code == code


def test_standard_webhooks_signatures_verify_and_reject_tampering_staleness_and_wrong_secrets():
    secret, body = new_secret(), b'{"message_id":"m1"}'
    headers = signed_headers(secret, "msg_1", body)
    assert verify(secret, headers, body) == "msg_1"
    rotated = {**headers, "webhook-signature": "v1,bm90IGl0 " + headers["webhook-signature"]}
    assert verify(secret, rotated, body) == "msg_1"  # any of several signatures, during a rotation
    for bad_headers, bad_body, code in (
            (headers, body + b" ", "invalid_signature"), (signed_headers(new_secret(), "msg_1", body), body,
                                                          "invalid_signature"),
            (signed_headers(secret, "msg_1", body, now=0), body, "stale_timestamp"),
            ({"webhook-id": "msg_1"}, body, "missing_signature")):
        with pytest.raises(WebhookRejected) as rejected:
            verify(secret, bad_headers, bad_body)
        assert rejected.value.code == code


@pytest.mark.parametrize(("given", "kept"), [
    ("13812341234", "13812341234"), ("+86 138 1234 1234", "13812341234"),
    ("021-62251234", "021-62251234"), ("(021)62251234", "021-62251234"), ("02162251234", "021-62251234"),
    ("021 6225 1234", "021-62251234"), ("021-62251234转801", "021-62251234-801"), ("+86 21 62251234", "021-62251234"),
    ("0571-88881234", "0571-88881234"), ("62251234", None), ("021-0225123", None), ("12345", None),
])
def test_callers_without_a_mobile_give_a_landline_with_its_area_code_and_perhaps_an_extension(given, kept):
    from services.intake.domain.cases import is_mobile, national_phone, phone_matches
    from shared.masking import mask_phone

    assert national_phone(given) == kept
    if kept and kept.startswith("0"):
        assert not is_mobile(kept) and phone_matches([kept], kept.split("-")[1][-4:])
        assert mask_phone(kept).startswith(kept.split("-")[0]) and "6225" not in mask_phone(kept)


def test_words_are_the_same_when_threads_segment_and_stem_at_once():
    # A category tree is rebuilt in a worker thread while reports are read on the event loop's: the stemmer they
    # share once turned a resident's report into a 500 (IndexError inside snowball).
    from concurrent.futures import ThreadPoolExecutor

    from services.intake.domain.classification import words

    texts = ["Streetlights flickering and buzzing all night", "Garbage piling up, rats running everywhere",
             "Neighbours fighting loudly, dogs barking continuously"] * 200
    expected = [words(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(words, texts)) == expected

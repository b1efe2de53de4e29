import pytest

from households.text import clean_spaces, mask, search_key


@pytest.mark.parametrize(
    "name, key",
    [
        ("Nguyễn Thị Hiền", "nguyen thi hien"),
        ("ĐẶNG VĂN ĐỨC", "dang van duc"),
        ("H'Hen Ksor", "hhen ksor"),
        ("H’Hen  Ksor ", "hhen ksor"),
        ("Y Bhin Niê", "y bhin nie"),
        ("Êñuôl", "enuol"),
    ],
)
def test_search_key_ignores_diacritics_case_apostrophes_and_spacing(name, key):
    assert search_key(name) == key


def test_a_query_typed_without_diacritics_matches_the_stored_key():
    assert search_key("nguyen thi hien") in search_key("Bà Nguyễn Thị Hiền")
    assert search_key("d") in search_key("Đ")


def test_clean_spaces_fixes_doubled_spaces_in_official_names():
    assert clean_spaces("Phường  Buôn Ma Thuột ") == "Phường Buôn Ma Thuột"


def test_mask_shows_only_the_last_digits():
    assert mask("066080012345") == "•••••••••345"
    assert mask(None) == ""

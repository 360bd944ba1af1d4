"""Vietnamese numbers in words, for amounts printed beside a transfer QR code
(`vnd_in_words(150000)` → "Một trăm năm mươi nghìn đồng")."""
from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
SCALES = ("", "nghìn", "triệu", "tỷ")


def _triple(n: int, full: bool) -> list[str]:
    """Words for 0..999; `full` when a higher group precedes it ("không trăm linh năm")."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if full or hundreds:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        elif units == 4 and tens >= 2:
            words.append("tư")
        else:
            words.append(DIGITS[units])
    return words


def number_in_words(n: int) -> str:
    """0 ≤ n < 10^18, lower case."""
    if n < 0:
        raise ValueError("negative")
    if n == 0:
        return DIGITS[0]
    if n >= 1000 ** 3:  # 1 tỷ and above: the part above a tỷ is itself a number
        high, low = divmod(n, 1000 ** 3)
        rest = _full_below_billion(low) if low else ""
        return " ".join(part for part in (number_in_words(high), "tỷ", rest) if part)
    return _full_below_billion(n, leading=True)


def _full_below_billion(n: int, leading: bool = False) -> str:
    groups = [n // 1_000_000 % 1000, n // 1000 % 1000, n % 1000]
    words: list[str] = []
    started = not leading
    for index, group in enumerate(groups):
        if group == 0:
            continue
        words += _triple(group, full=started)
        words.append(SCALES[2 - index])
        started = True
    return " ".join(word for word in words if word)


def vnd_in_words(amount_vnd: int) -> str:
    text = number_in_words(amount_vnd)
    return f"{text[0].upper()}{text[1:]} đồng"


def reference_in_words(reference: str) -> str:
    """Spelled for reading aloud: letters as they are, digits in words ("OCOP A B hai ba ...")."""
    head, tail = (reference[:4], reference[4:]) if reference.startswith("OCOP") else ("", reference)
    spelled = " ".join(DIGITS[int(char)] if char.isdigit() else char for char in tail)
    return f"{head} — {spelled}" if head else spelled

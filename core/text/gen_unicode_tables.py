#!/usr/bin/env python3
"""Generates core/text/unicode_tables.cpp: the Unicode and ftfy data the tokenizers need.

Run with Python 3.11 (Unicode 14.0, the same tables as the Python 3.11.2 that produced the
tokenizer goldens):  python3 core/text/gen_unicode_tables.py > core/text/unicode_tables.cpp

Ref: ftfy 6.1.1 (rspeer/python-ftfy, MIT): chardata.py (encodings, entities, ligatures, width
map, UTF-8 clues) and badness.py (the mojibake heuristic); CPython's str.lower(), str.isspace(),
unicodedata.normalize("NFC"), html.unescape().
"""

import html
import sys
import unicodedata

assert sys.version_info[:2] == (3, 11), "regenerate with Python 3.11 (Unicode 14.0)"
assert unicodedata.unidata_version == "14.0.0"

MAX_CP = 0x110000
out = []


def emit(line=""):
    out.append(line)


def c_string(text):
    """A C++ narrow string literal holding the UTF-8 of text, every non-ASCII byte escaped."""
    parts = []
    for b in text.encode("utf-8"):
        if b in (0x22, 0x5C):
            parts.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F:
            parts.append(chr(b))
        else:
            parts.append("\\%03o" % b)
    return '"' + "".join(parts) + '"'


def ranges(cps):
    cps = sorted(cps)
    result = []
    for cp in cps:
        if result and result[-1][1] == cp - 1:
            result[-1][1] = cp
        else:
            result.append([cp, cp])
    return result


def emit_ranges(name, cps):
    rs = ranges(cps)
    emit(f"const Range {name}[] = {{")
    for i in range(0, len(rs), 6):
        emit("    " + " ".join("{0x%X, 0x%X}," % (a, b) for a, b in rs[i : i + 6]))
    emit("};")
    emit(f"const std::size_t {name}Size = std::size({name});")
    emit()


def emit_mappings(name, mapping):
    """mapping: {cp: str}; emitted as sorted {cp, offset, length} into a char32_t pool."""
    pool = []
    rows = []
    for cp in sorted(mapping):
        value = [ord(c) for c in mapping[cp]]
        rows.append((cp, len(pool), len(value)))
        pool.extend(value)
    emit(f"const char32_t {name}Pool[] = {{")
    for i in range(0, len(pool), 10):
        emit("    " + " ".join("0x%X," % c for c in pool[i : i + 10]))
    emit("};")
    emit(f"const Mapping {name}[] = {{")
    for i in range(0, len(rows), 5):
        emit("    " + " ".join("{0x%X, %d, %d}," % r for r in rows[i : i + 5]))
    emit("};")
    emit(f"const std::size_t {name}Size = std::size({name});")
    emit()


# --- str.lower() and the Final_Sigma context ----------------------------------------------
lower = {}
for cp in range(MAX_CP):
    ch = chr(cp)
    low = ch.lower()
    if low != ch and cp != 0x3A3:
        lower[cp] = low
# Probe CPython's Final_Sigma rule to recover Case_Ignorable and Cased (neither is exposed).
case_ignorable = set()
cased_not_ignorable = set()
for cp in range(MAX_CP):
    ch = chr(cp)
    if 0xD800 <= cp <= 0xDFFF:
        continue
    after_cased = ("A" + ch + "\u03a3").lower()[-1] == "\u03c2"  # ignorable or cased
    alone = (ch + "\u03a3").lower()[-1] == "\u03c2"  # cased and not ignorable
    if alone:
        cased_not_ignorable.add(cp)
    elif after_cased:
        case_ignorable.add(cp)

# --- NFC: full canonical decompositions, primary composites, combining classes ------------
decomp = {}
compose = []
ccc = {}
for cp in range(MAX_CP):
    if 0xAC00 <= cp <= 0xD7A3 or 0xD800 <= cp <= 0xDFFF:
        continue  # Hangul syllables are algorithmic
    ch = chr(cp)
    c = unicodedata.combining(ch)
    if c:
        ccc[cp] = c
    nfd = unicodedata.normalize("NFD", ch)
    if nfd != ch:
        decomp[cp] = nfd
    raw = unicodedata.decomposition(ch)
    if raw and not raw.startswith("<"):
        parts = [int(x, 16) for x in raw.split()]
        if len(parts) == 2 and unicodedata.normalize("NFC", chr(parts[0]) + chr(parts[1])) == ch:
            compose.append((parts[0], parts[1], cp))
compose.sort()

# --- HTML entities as ftfy 6.1.1 builds them (only names ending in ';', plus all-caps) -----
entities = {}
for name, char in html.entities.html5.items():
    if name.endswith(";"):
        entities["&" + name] = char
        if name == name.lower():
            upper = "&" + name.upper()
            if html.unescape(upper) == upper:
                entities[upper] = char.upper()

# --- single-byte encodings ftfy tries, in its order ----------------------------------------


def sloppy(encoding):
    all_bytes = bytes(range(256))
    chars = list(all_bytes.decode("latin-1"))
    for i, ch in enumerate(all_bytes.decode(encoding, errors="replace")):
        if ch != "\ufffd":
            chars[i] = ch
    chars[0x1A] = "\ufffd"
    return "".join(chars)


CHARMAPS = [
    ("latin-1", bytes(range(256)).decode("latin-1")),
    ("sloppy-windows-1252", sloppy("windows-1252")),
    ("sloppy-windows-1251", sloppy("windows-1251")),
    ("sloppy-windows-1250", sloppy("windows-1250")),
    ("sloppy-windows-1253", sloppy("windows-1253")),
    ("sloppy-windows-1254", sloppy("windows-1254")),
    ("iso-8859-2", bytes(range(256)).decode("iso-8859-2")),
    ("macroman", bytes(range(256)).decode("mac-roman")),
    ("cp437", bytes(range(256)).decode("cp437")),
]
WINDOWS_1252 = bytes(range(256)).decode("windows-1252", errors="replace")  # strict: U+FFFD = undefined

# --- ftfy's per-character fixers ----------------------------------------------------------
LIGATURES = {
    0x132: "IJ", 0x133: "ij", 0x149: "\u02bcn", 0x1F1: "DZ", 0x1F2: "Dz", 0x1F3: "dz", 0x1C4: "D\u017d",
    0x1C5: "D\u017e", 0x1C6: "d\u017e", 0x1C7: "LJ", 0x1C8: "Lj", 0x1C9: "lj", 0x1CA: "NJ", 0x1CB: "Nj",
    0x1CC: "nj", 0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl", 0xFB05: "\u017ft",
    0xFB06: "st",
}
width = {0x3000: " "}
for cp in range(0xFF01, 0xFFF0):
    alt = unicodedata.normalize("NFKC", chr(cp))
    if alt != chr(cp):
        width[cp] = alt

# --- the mojibake heuristic (ftfy 6.1.1 badness.py), turned into PCRE2 syntax --------------
N = unicodedata.lookup
CATEGORIES = {
    "common": "".join(map(N, ["NO-BREAK SPACE", "SOFT HYPHEN", "MIDDLE DOT", "ACUTE ACCENT", "EN DASH", "EM DASH",
                              "HORIZONTAL BAR", "HORIZONTAL ELLIPSIS", "RIGHT SINGLE QUOTATION MARK"])),
    "c1": "\x80-\x9f",
    "bad": "".join(map(N, ["BROKEN BAR", "CURRENCY SIGN", "DIAERESIS", "NOT SIGN", "MACRON", "PILCROW SIGN",
                           "SECTION SIGN", "CEDILLA", "LATIN SMALL LETTER F WITH HOOK",
                           "MODIFIER LETTER CIRCUMFLEX ACCENT", "CARON", "BREVE", "OGONEK", "SMALL TILDE",
                           "DAGGER", "DOUBLE DAGGER", "PER MILLE SIGN", "REVERSED NOT SIGN", "LOZENGE"]))
    + "\ufffd" + N("FEMININE ORDINAL INDICATOR") + N("MASCULINE ORDINAL INDICATOR"),
    "currency": "".join(map(N, ["CENT SIGN", "POUND SIGN", "YEN SIGN", "PESETA SIGN", "EURO SIGN"])),
    "start_punctuation": "".join(map(N, [
        "INVERTED EXCLAMATION MARK", "LEFT-POINTING DOUBLE ANGLE QUOTATION MARK", "INVERTED QUESTION MARK",
        "COPYRIGHT SIGN", "GREEK TONOS", "GREEK DIALYTIKA TONOS", "LEFT SINGLE QUOTATION MARK",
        "SINGLE LOW-9 QUOTATION MARK", "LEFT DOUBLE QUOTATION MARK", "DOUBLE LOW-9 QUOTATION MARK", "BULLET",
        "SINGLE LEFT-POINTING ANGLE QUOTATION MARK"])) + "\uf8ff",
    "end_punctuation": "".join(map(N, [
        "REGISTERED SIGN", "RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK", "DOUBLE ACUTE ACCENT",
        "RIGHT DOUBLE QUOTATION MARK", "SINGLE RIGHT-POINTING ANGLE QUOTATION MARK", "TRADE MARK SIGN"])),
    "numeric": "".join(map(N, [
        "SUPERSCRIPT TWO", "SUPERSCRIPT THREE", "SUPERSCRIPT ONE", "PLUS-MINUS SIGN", "VULGAR FRACTION ONE QUARTER",
        "VULGAR FRACTION ONE HALF", "VULGAR FRACTION THREE QUARTERS", "MULTIPLICATION SIGN", "MICRO SIGN",
        "DIVISION SIGN", "FRACTION SLASH", "PARTIAL DIFFERENTIAL", "INCREMENT", "N-ARY PRODUCT", "N-ARY SUMMATION",
        "SQUARE ROOT", "INFINITY", "INTERSECTION", "INTEGRAL", "ALMOST EQUAL TO", "NOT EQUAL TO", "IDENTICAL TO",
        "LESS-THAN OR EQUAL TO", "GREATER-THAN OR EQUAL TO", "NUMERO SIGN"])),
    "kaomoji": "\u00d2-\u00d6\u00d9-\u00dc\u00f2-\u00f6\u00f8-\u00fc"
    + N("LATIN CAPITAL LETTER O WITH DOUBLE ACUTE") + N("DEGREE SIGN"),
    "upper_accented": "\xc0-\xd1" + "".join(N("LATIN CAPITAL " + x) for x in [
        "LETTER O WITH STROKE", "LETTER U WITH DIAERESIS", "LETTER Y WITH ACUTE", "LETTER A WITH BREVE",
        "LETTER A WITH OGONEK", "LETTER C WITH ACUTE", "LETTER C WITH CARON", "LETTER D WITH CARON",
        "LETTER D WITH STROKE", "LETTER E WITH OGONEK", "LETTER E WITH CARON", "LETTER G WITH BREVE",
        "LETTER I WITH DOT ABOVE", "LETTER L WITH ACUTE", "LETTER L WITH CARON", "LETTER L WITH STROKE",
        "LETTER N WITH ACUTE", "LETTER N WITH CARON", "LIGATURE OE", "LETTER R WITH CARON", "LETTER S WITH ACUTE",
        "LETTER S WITH CEDILLA", "LETTER S WITH CARON", "LETTER T WITH CEDILLA", "LETTER T WITH CARON",
        "LETTER U WITH RING ABOVE", "LETTER U WITH DOUBLE ACUTE", "LETTER Y WITH DIAERESIS", "LETTER Z WITH ACUTE",
        "LETTER Z WITH DOT ABOVE", "LETTER Z WITH CARON"]) + N("CYRILLIC CAPITAL LETTER GHE WITH UPTURN"),
    "lower_accented": N("LATIN SMALL LETTER SHARP S") + "\xe0-\xf1" + "".join(N("LATIN SMALL " + x) for x in [
        "LETTER A WITH BREVE", "LETTER A WITH OGONEK", "LETTER C WITH ACUTE", "LETTER C WITH CARON",
        "LETTER D WITH CARON", "LETTER D WITH STROKE", "LETTER E WITH OGONEK", "LETTER E WITH CARON",
        "LETTER G WITH BREVE", "LETTER L WITH ACUTE", "LETTER L WITH CARON", "LETTER L WITH STROKE", "LIGATURE OE",
        "LETTER R WITH ACUTE", "LETTER S WITH ACUTE", "LETTER S WITH CEDILLA", "LETTER S WITH CARON",
        "LETTER T WITH CARON", "LETTER U WITH DIAERESIS", "LETTER Z WITH ACUTE", "LETTER Z WITH DOT ABOVE",
        "LETTER Z WITH CARON"]) + N("CYRILLIC SMALL LETTER GHE WITH UPTURN") + N("LATIN SMALL LIGATURE FI")
    + N("LATIN SMALL LIGATURE FL"),
    "upper_common": N("LATIN CAPITAL LETTER THORN") + N("GREEK CAPITAL LETTER ALPHA") + "-"
    + N("GREEK CAPITAL LETTER OMEGA") + "".join(N("GREEK CAPITAL LETTER " + x) for x in [
        "ALPHA WITH TONOS", "EPSILON WITH TONOS", "ETA WITH TONOS", "IOTA WITH TONOS", "OMICRON WITH TONOS",
        "UPSILON WITH TONOS", "OMEGA WITH TONOS", "IOTA WITH DIALYTIKA", "UPSILON WITH DIALYTIKA"])
    + N("CYRILLIC CAPITAL LETTER IO") + "-" + N("CYRILLIC CAPITAL LETTER YA"),
    "lower_common": N("GREEK SMALL LETTER ALPHA") + "-" + N("GREEK SMALL LETTER OMEGA")
    + "".join(N("GREEK SMALL LETTER " + x) for x in [
        "ALPHA WITH TONOS", "EPSILON WITH TONOS", "ETA WITH TONOS", "IOTA WITH TONOS",
        "UPSILON WITH DIALYTIKA AND TONOS"])
    + N("CYRILLIC SMALL LETTER A") + "-" + N("CYRILLIC SMALL LETTER DZHE"),
    "box": "\u2502\u250c\u2510\u2518\u251c\u2524\u252c\u253c" + N("BOX DRAWINGS DOUBLE HORIZONTAL") + "-"
    + N("BOX DRAWINGS DOUBLE VERTICAL AND HORIZONTAL") + "\u2580\u2584\u2588\u258c\u2590\u2591\u2592\u2593",
}

# One alternative per line, in ftfy's order; spaces are insignificant outside [...], as in re.VERBOSE.
BADNESS = r"""
[{c1}]
[{bad}{lower_accented}{upper_accented}{box}{start_punctuation}{end_punctuation}{currency}{numeric}] [{bad}]
[a-zA-Z] [{lower_common}{upper_common}] [{bad}]
[{bad}] [{lower_accented}{upper_accented}{box}{start_punctuation}{end_punctuation}{currency}{numeric}]
[{lower_accented}{lower_common}{box}{end_punctuation}{currency}{numeric}] [{upper_accented}]
[{box}{end_punctuation}{currency}{numeric}] [{lower_accented}]
[{lower_accented}{box}{end_punctuation}] [{currency}]
\s [{upper_accented}] [{currency}]
[{upper_accented}{box}] [{numeric}]
[{lower_accented}{upper_accented}{box}{currency}{end_punctuation}] [{start_punctuation}] [{numeric}]
[{lower_accented}{upper_accented}{currency}{numeric}{box}] [{end_punctuation}] [{start_punctuation}]
[{currency}{numeric}{box}] [{start_punctuation}]
[a-z] [{upper_accented}] [{start_punctuation}{currency}]
[{box}] [{kaomoji}]
[{lower_accented}{upper_accented}{currency}{numeric}{start_punctuation}{end_punctuation}] [{box}]
[{box}] [{end_punctuation}]
[{lower_accented}{upper_accented}] [{end_punctuation}] \w
[\u0152\u0153][^A-Za-z]
[\u00c2\u00c3\u00ce\u00d0][\u20ac\u0160\u0161\u00a2\u00a3\u0178\u017e\xa0\xad\u00ae\u00a9\u00b0\u00b7\u00bb{start_punctuation}{end_punctuation}\u2013\u2014\u00b4]
\u00d7 [\u00b2\u00b3]
[\u00d8\u00d9] [{common}{currency}{bad}{numeric}{start_punctuation}\u0178\u0160\u00ae\u00b0\u00b5\u00bb] [\u00d8\u00d9] [{common}{currency}{bad}{numeric}{start_punctuation}\u0178\u0160\u00ae\u00b0\u00b5\u00bb]
\u00e0[\u00b2\u00b5\u00b9\u00bc\u00bd\u00be]
\u221a[\u00b1\u2202\u2020\u2260\u00ae\u2122\u00b4\u2264\u2265\u00a5\u00b5\u00f8]
\u2248[\u00b0\u00a2]
\u201a\u00c4[\u00ec\u00ee\u00ef\u00f2\u00f4\u00fa\u00f9\u00fb\u2020\u00b0\u00a2\u03c0]
\u201a[\u00e2\u00f3][\u00e0\u00e4\u00b0\u00ea]
\u0432\u0402
[\u0412\u0413\u0420\u0421][{c1}{bad}{start_punctuation}{end_punctuation}{currency}\u00b0\u00b5][\u0412\u0413\u0420\u0421]
\u0413\u045e\u0412\u0402\u0412.[A-Za-z ]
\u00c3[\xa0\u00a1]
[a-z]\s?[\u00c3\u00c2][ ]
^[\u00c3\u00c2][ ]
[a-z.,?!{end_punctuation}] \u00c2 [ {start_punctuation}{end_punctuation}]
\u03b2\u20ac[\u2122\xa0\u0386\xad\u00ae\u00b0]
[\u0392\u0393\u039e\u039f][{c1}{bad}{start_punctuation}{end_punctuation}{currency}\u00b0][\u0392\u0393\u039e\u039f]
"""

UTF8_CLUES = {
    "utf8_first_of_2": "\u00c2\u00c3\u00c4\u00c5\u00c6\u00c7\u00c8\u00c9\u00ca\u00cb\u00cc\u00cd\u00ce\u00cf"
    "\u00d0\u00d1\u00d2\u00d3\u00d4\u00d5\u00d6\u00d7\u00d8\u00d9\u00da\u00db\u00dc\u00dd\u00de\u00df"
    "\u0102\u0106\u010c\u010e\u0110\u0118\u011a\u011e\u0130\u0139\u0143\u0147\u0150\u0158\u015e\u0162\u016e\u0170"
    "\u0392\u0393\u0394\u0395\u0396\u0397\u0398\u0399\u039a\u039b\u039c\u039d\u039e\u039f\u03a0\u03a1\u03a3\u03a4"
    "\u03a5\u03a6\u03a7\u03a8\u03a9\u03aa\u03ab\u03ac\u03ad\u03ae\u03af"
    "\u0412\u0413\u0414\u0415\u0416\u0417\u0418\u0419\u041a\u041b\u041c\u041d\u041e\u041f\u0420\u0421\u0422\u0423"
    "\u0424\u0425\u0426\u0427\u0428\u0429\u042a\u042b\u042c\u042d\u042e\u042f",
    "utf8_first_of_3": "\u00e0\u00e1\u00e2\u00e3\u00e4\u00e5\u00e6\u00e7\u00e8\u00e9\u00ea\u00eb\u00ec\u00ed"
    "\u00ee\u00ef\u0103\u0107\u010d\u010f\u0119\u011b\u013a\u0155\u03b0\u03b1\u03b2\u03b3\u03b4\u03b5\u03b6\u03b7"
    "\u03b8\u03b9\u03ba\u03bb\u03bc\u03bd\u03be\u03bf\u0430\u0431\u0432\u0433\u0434\u0435\u0436\u0437\u0438\u0439"
    "\u043a\u043b\u043c\u043d\u043e\u043f",
    "utf8_first_of_4": "\u00f0\u00f3\u0111\u011f\u03c0\u03c3\u0440\u0443",
    "utf8_continuation": "\x80-\xbf"
    "\u0104\u0105\u013d\u013e\u0141\u0142\u0152\u0153\u015a\u015b\u015e\u015f\u0160\u0161\u0164\u0165\u0178\u0179"
    "\u017a\u017b\u017c\u017d\u017e\u0192\u02c6\u02c7\u02d8\u02db\u02dc\u02dd\u0384\u0385"
    "\u0386\u0388\u0389\u038a\u038c\u038e\u038f\u0401\u0402\u0403\u0404\u0405\u0406\u0407\u0408\u0409\u040a\u040b"
    "\u040c\u040e\u040f\u0451\u0452\u0453\u0454\u0455\u0456\u0457\u0458\u0459\u045a\u045b\u045c\u045e\u045f\u0490"
    "\u0491"
    "\u2013\u2014\u2015\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022\u2026\u2030\u2039\u203a\u20ac\u2116"
    "\u2122"
    " ",
    "utf8_continuation_strict": "\x80-\xbf"
    "\u0104\u0105\u013d\u013e\u0141\u0142\u0152\u0153\u015a\u015b\u015e\u015f\u0160\u0161\u0164\u0165\u0178\u0179"
    "\u017a\u017b\u017c\u017d\u017e\u0192\u02c6\u02c7\u02d8\u02db\u02dc\u02dd\u0384\u0385"
    "\u0386\u0388\u0389\u038a\u038c\u038e\u038f\u0401\u0402\u0403\u0404\u0405\u0406\u0407\u0408\u0409\u040a\u040b"
    "\u040c\u040e\u040f\u0451\u0452\u0453\u0454\u0455\u0456\u0457\u0458\u0459\u045a\u045b\u045c\u045e\u045f\u0490"
    "\u0491"
    "\u2020\u2021\u2022\u2030\u2039\u203a\u20ac\u2116\u2122",
}
UTF8_DETECTOR = (
    "(?<![{utf8_continuation_strict}])"
    "([{utf8_first_of_2}][{utf8_continuation}]"
    "|[{utf8_first_of_3}][{utf8_continuation}]{{2}}"
    "|[{utf8_first_of_4}][{utf8_continuation}]{{3}})+"
)

# CPython's str.isspace(): what re's \s and str.strip() use (ftfy's regexes run under re).
PY_SPACE = "".join(chr(cp) for cp in range(MAX_CP) if chr(cp).isspace())


def to_pcre2(pattern):
    """Python re.VERBOSE source (already formatted) -> PCRE2 UTF pattern: non-ASCII escaped,
    insignificant whitespace dropped, \\s and \\w spelled out with CPython's meaning."""
    space_class = "".join("-" if c == "-" else "\\x{%X}" % ord(c) for c in PY_SPACE)
    result = []
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1]
            if nxt == "s":
                result.append(("" if in_class else "[") + space_class + ("" if in_class else "]"))
            elif nxt == "w":
                result.append("[\\p{L}\\p{N}_]")
            elif nxt == "u":
                result.append("\\x{%s}" % pattern[i + 2 : i + 6])
                i += 4
            elif nxt == "x":
                result.append("\\x{%s}" % pattern[i + 2 : i + 4])
                i += 2
            else:
                raise ValueError("unexpected escape \\" + nxt)
            i += 2
            continue
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        if not in_class and ch in " \n":
            i += 1
            continue
        if ord(ch) > 0x7E or ch == " " or ord(ch) < 0x20:
            result.append("\\x{%X}" % ord(ch))
        else:
            result.append(ch)
        i += 1
    return "".join(result)


badness_source = "|".join(line for line in BADNESS.strip().split("\n")).format(**CATEGORIES)
badness_pattern = to_pcre2(badness_source)
detector_pattern = to_pcre2(UTF8_DETECTOR.format(**UTF8_CLUES))

# --- output -------------------------------------------------------------------------------
emit("// GENERATED by core/text/gen_unicode_tables.py (Python 3.11, Unicode 14.0): do not edit.")
emit("// Unicode data (lower case, NFC, spaces) and ftfy 6.1.1 data (MIT) for the tokenizers.")
emit("// clang-format off")
emit('#include "text/unicode_tables.h"')
emit()
emit("#include <iterator>")
emit()
emit("namespace ml::text::tables {")
emit()
emit_mappings("kLower", lower)
emit_ranges("kCaseIgnorable", case_ignorable)
emit_ranges("kCasedNotIgnorable", cased_not_ignorable)
emit_ranges("kPySpace", [ord(c) for c in PY_SPACE])
emit_mappings("kDecomposition", decomp)
emit("const Composition kComposition[] = {")
for i in range(0, len(compose), 4):
    emit("    " + " ".join("{0x%X, 0x%X, 0x%X}," % c for c in compose[i : i + 4]))
emit("};")
emit("const std::size_t kCompositionSize = std::size(kComposition);")
emit()
cls = []
for cp in sorted(ccc):
    if cls and cls[-1][1] == cp - 1 and cls[-1][2] == ccc[cp]:
        cls[-1][1] = cp
    else:
        cls.append([cp, cp, ccc[cp]])
emit("const ClassRange kCombiningClass[] = {")
for i in range(0, len(cls), 5):
    emit("    " + " ".join("{0x%X, 0x%X, %d}," % tuple(c) for c in cls[i : i + 5]))
emit("};")
emit("const std::size_t kCombiningClassSize = std::size(kCombiningClass);")
emit()
emit("const HtmlEntity kHtmlEntities[] = {")
for name in sorted(entities, key=lambda s: s.encode("utf-8")):
    emit(f"    {{{c_string(name)}, {c_string(entities[name])}}},")
emit("};")
emit("const std::size_t kHtmlEntitiesSize = std::size(kHtmlEntities);")
emit()
emit("const HtmlCharref kHtmlInvalidCharrefs[] = {")
items = sorted(html._invalid_charrefs.items())
for i in range(0, len(items), 6):
    emit("    " + " ".join("{0x%X, 0x%X}," % (k, ord(v)) for k, v in items[i : i + 6]))
emit("};")
emit("const std::size_t kHtmlInvalidCharrefsSize = std::size(kHtmlInvalidCharrefs);")
emit()
emit_ranges("kHtmlInvalidCodepoints", html._invalid_codepoints)
emit("const Charmap kCharmaps[] = {")
for name, table in CHARMAPS:
    emit(f'    {{"{name}", {{')
    for i in range(0, 256, 16):
        emit("        " + " ".join("0x%X," % ord(c) for c in table[i : i + 16]))
    emit("    }},")
emit("};")
emit("const std::size_t kCharmapsSize = std::size(kCharmaps);")
emit()
emit("const char32_t kWindows1252[256] = {")
for i in range(0, 256, 16):
    emit("    " + " ".join("0x%X," % ord(c) for c in WINDOWS_1252[i : i + 16]))
emit("};")
emit()
emit_mappings("kLigatures", LIGATURES)
emit_mappings("kWidth", width)
for name, pattern in (("kBadnessPattern", badness_pattern), ("kUtf8DetectorPattern", detector_pattern)):
    emit(f"const char *const {name} =")
    pieces = [pattern[i : i + 96] for i in range(0, len(pattern), 96)]
    for i, piece in enumerate(pieces):
        emit("    " + c_string(piece) + (";" if i == len(pieces) - 1 else ""))
    emit()
emit("} // namespace ml::text::tables")
print("\n".join(out))

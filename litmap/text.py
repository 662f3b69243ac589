"""Titles and abstracts as the field writes them: LaTeX (``Poincar\\'e``, ``${\\cal N}=4$``,
``AdS$_3$``, ``\\CN``) and HTML entities (``&amp;``), turned into what each output needs.

* ``plain``: readable Unicode for the page, RIS, CSV and CSL-JSON (pylatexenc does the LaTeX).
* ``latex``: valid LaTeX for a .bib value: the author's math and accents kept, so bibtex, biber
  and pandoc render what was meant; everything else escaped; non-ASCII letters written as
  accent commands, because bibtex 0.99 does not know UTF-8 (it drops the hyphen of
  ``Ñúñez-García`` and sorts and case-changes bytes). Only the kernel's own text and math
  macros (``SAFE_MACROS``) stay commands: ``\\input``, ``\\section``, ``\\cite``... are written as
  text (``\\textbackslash{}input``), so no title runs code in, or stops, the reader's document.

Both are pure and total: any input gives some output, never an exception.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

from pylatexenc import latexwalker
from pylatexenc.latex2text import LatexNodes2Text, get_default_latex_context_db
from pylatexenc.latexencode import UnicodeToLatexEncoder
from pylatexenc.macrospec import LatexContextDb

# ---------------------------------------------------------------- shared pre-processing

_LATEXISH = re.compile(r"[\\$^_{}]")
_NEEDS_PARSER = re.compile(r"[\\${}]")
# Reading LaTeX costs ~35 us a markup node: a value with more markup characters than any real
# title or name (an abstract's worth of braces) is garbage, and is shown as typed, unread.
MAX_MARKUP = 300
# arXiv authors write sub/superscripts outside math too (QCD_{3+1}, RP^2).
_SUB = dict(zip("0123456789+-=()aeoxhklmnpst", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜ"))
_SUP = dict(zip("0123456789+-=()in", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿ"))
_SCRIPT = re.compile(r"([_^])(?:\{([^{}\\$]{1,12})\}|([0-9a-z+\-])(?![A-Za-z]))")
_MACRO = re.compile(r"\\([A-Za-z]+)")
# Font switches: no text of their own.
_FONTS = {"it", "bf", "em", "rm", "sl", "sc", "tt", "sf", "cal", "mathcal", "mathbf", "mathrm",
          "mathit", "mathsf", "mathtt", "mathbb", "Bbb", "boldsymbol", "bm", "textit", "textbf",
          "emph", "textrm", "textsc", "texttt", "textsf", "textsl", "underline", "mathfrak", "frak"}
_CAL_SHORT = re.compile(r"\\C([A-Z])(?![A-Za-z])")  # hep-th shorthand: \CN is \cal N


def _unescaped(s: str, chars: str) -> list[str]:
    """The characters of `chars` in s that no backslash escapes (\\\\ escapes itself)."""
    return [m.group() for m in re.finditer(r"\\.|[" + re.escape(chars) + "]", s, re.S)
            if m.group() in chars]


def _dollars_balanced(s: str) -> bool:
    return len(_unescaped(s, "$")) % 2 == 0


def _braces_balanced(s: str) -> bool:
    depth = 0
    for c in _unescaped(s, "{}"):
        depth += 1 if c == "{" else -1
        if depth < 0:
            return False
    return depth == 0


# ---------------------------------------------------------------- plain Unicode


@lru_cache(maxsize=1)
def _converter():
    return LatexNodes2Text(math_mode="text", strict_latex_spaces=False)


@lru_cache(maxsize=1)
def _walker_context() -> LatexContextDb:
    """pylatexenc's default parsing context, with a test for its specials (~, --, ``...) that
    looks only at the candidates for the character at hand instead of trying all of them at
    every position: the same answers, ~40 % less time reading an abstract."""
    db = latexwalker.get_default_latex_context_db()  # a fresh instance: the shared default stays as it is
    candidates: dict[str, list] = {}
    for cat in db.category_list:  # category order: an equally long earlier match wins
        for chars, spec in db.d[cat]["specials"].items():
            candidates.setdefault(chars[:1], []).append((chars, spec))

    def test_for_specials(s, pos, parsing_state=None):
        best, length = None, 0
        for chars, spec in candidates.get(s[pos:pos + 1], ()):
            if len(chars) > length and s.startswith(chars, pos):  # the longest match
                best, length = spec, len(chars)
        return best

    db.test_for_specials = test_for_specials
    return db


@lru_cache(maxsize=1)
def _known() -> LatexContextDb:
    return get_default_latex_context_db()


def _scripts(m: re.Match[str]) -> str:
    table = _SUB if m.group(1) == "_" else _SUP
    body = m.group(2) if m.group(2) is not None else m.group(3)
    body = body.replace(" ", "")
    return "".join(table[c] for c in body) if body and all(c in table for c in body) else m.group(0)


def _unknown_macro(m: re.Match[str]) -> str:
    # pylatexenc drops a macro it does not know; a private one (\W, \SO) reads best as its name.
    name = m.group(1)
    if _known().get_macro_spec(name) is not None:
        return m.group(0)
    return "" if name in _FONTS else name


def _cal(m: re.Match[str]) -> str:
    try:
        return unicodedata.lookup("SCRIPT CAPITAL " + m.group(1))
    except KeyError:
        return unicodedata.lookup("MATHEMATICAL SCRIPT CAPITAL " + m.group(1))


# Titles and abstracts are read several times per map (clusters, page, exports): each once.
@lru_cache(maxsize=1 << 16)
def _plain_line(s: str, scripts: bool = True) -> str:
    if "&" in s:
        s = html.unescape(s)
    if scripts and ("_" in s or "^" in s):
        s = _SCRIPT.sub(_scripts, s)
    if not _NEEDS_PARSER.search(s):  # nothing but scripts: no LaTeX reading (-- stays --)
        return " ".join(s.split())
    if len(_NEEDS_PARSER.findall(s)) > MAX_MARKUP:  # not LaTeX anyone wrote: shown as typed
        return " ".join(s.split())
    # In LaTeX these start a comment, an alignment cell, a parameter: in a title they are text.
    s = re.sub(r"(?<!\\)([%&#])", r"\\\1", s)
    if not _dollars_balanced(s):
        s = re.sub(r"(?<!\\)\$", r"\\$", s)  # "$5 billion" is money, not math
    if not _braces_balanced(s):
        s = re.sub(r"(?<!\\)([{}])", r"\\\1", s)
    s = _CAL_SHORT.sub(_cal, s)
    s = _MACRO.sub(_unknown_macro, s)
    try:
        out = _converter().latex_to_text(s, latex_context=_walker_context())
    except Exception:  # pylatexenc is tolerant; should it still fail, the raw text is readable
        out = s
    return " ".join(unicodedata.normalize("NFC", out).split())


def plain(value: object, multiline: bool = False, scripts: bool = True) -> str:
    """LaTeX and HTML entities -> readable Unicode; '' for None. Lines are kept if multiline;
    scripts=False leaves _ and ^ outside math alone (a name such as "Person_1")."""
    if value is None:
        return ""
    s = str(value)
    if multiline:
        return "\n".join(_plain_line(line, scripts) for line in s.split("\n"))
    return _plain_line(s, scripts)


# ---------------------------------------------------------------- LaTeX for BibTeX

_SPECIAL = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "$": r"\$",
            "<": r"\textless{}", ">": r"\textgreater{}", "\\": r"\textbackslash{}",
            "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
            "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
# Text-mode commands a title may use as they are (accents, letters, fonts, escapes).
_ACCENT = re.compile(r"""\\(?:['`^"~=.]\s*(?:\{\\?[A-Za-z]\}|\\[ij](?![A-Za-z])|[A-Za-z])"""
                     r"""|[uvHcdbtkr](?:\{\\?[A-Za-z]\}|\s+[A-Za-z])"""
                     r"""|(?:ss|ae|AE|oe|OE|aa|AA|o|O|l|L|i|j)(?![A-Za-z]))""")
_TEXT_FONTS = {"it", "bf", "em", "rm", "sl", "sc", "tt", "sf", "textit", "textbf", "emph", "textrm",
               "textsc", "texttt", "textsf", "textsl", "underline"}
_MATH_TOKEN = re.compile(r"(?<!\\)\$(?:[^$\\]|\\.)+?(?<!\\)\$")
# The macros a .bib value may carry as they are: text and math commands of LaTeX's own kernel,
# which render in any document with bibtex or biblatex. Anything else is written as text (its
# backslash shown): \input, \include, \write18, \def, \section, \cite or \url would act in the
# reader's document, and a package macro (\boldsymbol) stops a document that lacks the package.
SAFE_MACROS = frozenset("""
alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi
rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma
Upsilon Phi Psi Omega
aleph hbar imath jmath ell wp Re Im partial infty prime emptyset nabla surd top bot angle triangle
forall exists neg lnot flat natural sharp clubsuit diamondsuit heartsuit spadesuit
sum prod coprod int oint bigcap bigcup bigsqcup bigvee bigwedge bigodot bigotimes bigoplus biguplus
pm mp setminus cdot times ast star diamond circ bullet div cap cup uplus sqcap sqcup vee wedge wr
oplus ominus otimes oslash odot bigcirc dagger ddagger amalg triangleleft triangleright bigtriangleup
bigtriangledown
leq le geq ge equiv models prec succ sim perp preceq succeq simeq mid ll gg asymp parallel subset
supset approx bowtie subseteq supseteq cong neq ne smile sqsubseteq sqsupseteq doteq frown in ni notin
propto vdash dashv
leftarrow gets Leftarrow rightarrow to Rightarrow leftrightarrow Leftrightarrow mapsto hookleftarrow
leftharpoonup leftharpoondown longleftarrow Longleftarrow longrightarrow Longrightarrow
longleftrightarrow Longleftrightarrow longmapsto hookrightarrow rightharpoonup rightharpoondown
uparrow Uparrow downarrow Downarrow updownarrow Updownarrow nearrow searrow swarrow nwarrow
ldots cdots vdots ddots dots colon
lbrace rbrace langle rangle lfloor rfloor lceil rceil backslash vert Vert
left right big Big bigg Bigg bigl bigr Bigl Bigr quad qquad
hat check tilde acute grave dot ddot breve bar vec widehat widetilde overline underline
overbrace underbrace overrightarrow overleftarrow sqrt frac over choose atop stackrel
arccos arcsin arctan arg cos cosh cot coth csc deg det dim exp gcd hom inf ker lg lim liminf limsup
ln log max min Pr sec sin sinh sup tan tanh bmod pmod
mathcal mathbf mathrm mathit mathsf mathtt mathnormal cal bf rm it sf tt sl sc em
textit textbf emph textrm textsc texttt textsf textsl textup textnormal mbox
LaTeX TeX ss ae AE oe OE aa AA o O l L i j
""".split())
# Text-mode only: in math they stop the run ("You can't use \spacefactor in math mode").
_TEXT_ONLY = frozenset("LaTeX TeX ss ae AE oe OE aa AA o O l L i j".split())
# Package fonts a plain document lacks, as the nearest kernel font.
_FONT_STANDINS = {"Bbb": "mathbf", "mathbb": "mathbf", "boldsymbol": "mathbf", "bm": "mathbf",
                  "mathfrak": "mathrm", "frak": "mathrm", "mathscr": "mathcal"}


@lru_cache(maxsize=1)
def _encoder():
    return UnicodeToLatexEncoder(non_ascii_only=True, replacement_latex_protection="braces-all",
                                 unknown_char_policy="keep", unknown_char_warning=False)


def _encode(text: str) -> str:
    """Non-ASCII letters as {\\'e}; the dotless-i form pandoc would print as ı́ becomes \\'i."""
    if text.isascii():
        return text
    # Letters only (what bibtex sorts, keys and splits names by); symbols and punctuation
    # stay UTF-8, which biber, pandoc and LaTeX read, rather than rarer text commands.
    return "".join(_letter(c) if ord(c) > 127 and unicodedata.category(c)[0] == "L" else c
                   for c in unicodedata.normalize("NFC", text))


@lru_cache(maxsize=4096)
def _letter(c: str) -> str:
    out = _encoder().unicode_to_latex(c)
    if not re.fullmatch(r"\{\\(?:[`'^\"~=.uvHcdbtkr]\s?(?:[A-Za-z]|\\i|\{[A-Za-z]\})|[A-Za-z]+)\}", out):
        return c  # no plain accent/letter command: keep the UTF-8 letter
    return re.sub(r"\\([`'^\"~=.])\\i(?![A-Za-z])", r"\\\1i", out)


def escape(text: str) -> str:
    """Plain text -> LaTeX: every special escaped, non-ASCII as accent commands."""
    return _encode("".join(_SPECIAL.get(c, c) for c in text))


def _math(body: str) -> str:
    """Inside $...$: keep it, but a private macro (\\W, \\SO) becomes \\mathrm{W}: undefined
    macros stop a LaTeX run."""
    def fix(m: re.Match[str]) -> str:
        name = m.group(1)
        if name.startswith("C") and len(name) == 2 and name[1].isupper():
            return r"\mathcal{" + name[1] + "}"
        if name in _FONT_STANDINS:  # \mathbb needs amsfonts, which a document may not load
            return "\\" + _FONT_STANDINS[name]
        if name in _TEXT_ONLY:
            return r"\mathrm{" + name + "}"
        if name in SAFE_MACROS:
            return m.group(0)
        if _known().get_macro_spec(name) is not None:  # a real command: shown, never run
            return r"\backslash\mathrm{" + name + "}"
        return r"\mathrm{" + name + "}"  # a private shorthand (\SO, \W): its name
    # Old-style font switches as LaTeX2e commands ({\cal N} -> \mathcal{N}): pandoc's math
    # reader knows only the latter, LaTeX both.
    for old, new in (("cal", "mathcal"), ("bf", "mathbf"), ("rm", "mathrm"), ("it", "mathit")):
        body = re.sub(r"\{\\" + old + r"\s*([^{}]*?)\s*\}", r"\\" + new + r"{\1}", body)
        body = re.sub(r"\\" + old + r"(?![A-Za-z])\s*(\\[A-Za-z]+|[^\s{}\\])", r"\\" + new + r"{\1}", body)
    # BibTeX counts "\{" as a brace: spell escaped braces as commands
    body = re.sub(r"\\(.)", lambda m: {"{": r"\lbrace ", "}": r"\rbrace "}.get(m.group(1), m.group(0)), body,
                  flags=re.S)
    # In math these end the run (%), misplace a cell (&) or name a parameter (#): as text
    body = re.sub(r"(?<!\\)([#%&])", r"\\\1", body)
    return _encode(_MACRO.sub(fix, body))


def _text_latex(s: str) -> str:
    """LaTeX outside math: keep accents, fonts and braces; math macros and scripts get $...$."""
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            m = _ACCENT.match(s, i)
            if m:
                # canonical {\'e} form, whatever spelling the author used
                out.append(_encode(plain(m.group(0))) if plain(m.group(0)) and not plain(m.group(0)).isascii()
                           else "{" + m.group(0) + "}")
                i = m.end()
                continue
            m = re.compile(r"\\([A-Za-z]+)\s?").match(s, i)
            if m:
                name = m.group(1)
                if name in _TEXT_FONTS:
                    out.append(m.group(0))
                elif name in _TEXT_ONLY:  # \LaTeX: a text command, {} keeps the space after it
                    out.append(m.group(0).rstrip() + "{}" + m.group(0)[len(m.group(0).rstrip()):])
                elif name not in SAFE_MACROS and name not in _FONT_STANDINS and not _CAL_SHORT.fullmatch("\\" + name) \
                        and _known().get_macro_spec(name) is not None:
                    out.append(r"\textbackslash{}" + name)  # \input, \section...: shown, never run
                elif name in ("cal", "mathcal", "mathbf", "mathrm", "Bbb", "mathbb"):
                    # {\cal N} is math-only: the rest of the group goes into $...$
                    j = s.find("}", m.end())
                    j = len(s) if j < 0 else j
                    out.append("$" + _math(s[i:j]) + "$")
                    i = j
                    continue
                else:
                    out.append("$" + _math(m.group(0).rstrip()) + "$")
                i = m.end()
                continue
            if i + 1 < len(s) and s[i + 1] in "{}":  # BibTeX counts "\{" as a brace
                out.append(_SPECIAL[s[i + 1]])
                i += 2
                continue
            if i + 1 < len(s) and s[i + 1] in "&%$#_ ,;":
                out.append(s[i:i + 2])
                i += 2
                continue
        if c in "_^":
            m = re.compile(r"[_^](?:\{[^{}$]*\}|\\[A-Za-z]+|[A-Za-z0-9](?![A-Za-z0-9]))").match(s, i)
            if m:
                out.append("$" + _math(m.group(0)) + "$")
                i = m.end()
                continue
        if c in "{}":
            out.append(c)  # balance checked by the caller
        else:
            out.append(escape(c))
        i += 1
    return "".join(out)


def latex(value: object) -> str:
    """Untrusted title/abstract text -> a value that is valid LaTeX inside a .bib field."""
    if value is None:
        return ""
    s = " ".join(html.unescape(str(value)).split()) if "&" in str(value) else " ".join(str(value).split())
    if not _LATEXISH.search(s) or not _braces_balanced(s):
        return escape(s)
    dollars_ok = _dollars_balanced(s)
    out, pos = [], 0
    for m in (_MATH_TOKEN.finditer(s) if dollars_ok else ()):
        out.append(_text_latex(s[pos:m.start()]))
        body = m.group(0)[1:-1]
        out.append("$" + _math(body) + "$" if _braces_balanced(body) else escape(m.group(0)))
        pos = m.end()
    rest = s[pos:]
    out.append(_text_latex(rest) if dollars_ok else _text_latex(rest.replace("$", "\\$")))
    # two math runs side by side would read as $$ (display math): keep them apart
    return re.sub(r"(?<!\\)\$\$", "${}$", "".join(out))


def protect(word: str) -> bool:
    """Does BibTeX need to keep this title word's case? BERT, GPT-4, LaTeX, iPhone, N=2 and lone
    capitals ("I", "Method B"); "A" is nearly always the article of a Title Case title."""
    upper = [c.isupper() for c in word]
    return any(upper[1:]) or (any(upper) and any(c.isdigit() for c in word)) \
        or (len(word) == 1 and word.isupper() and word != "A")


def _chunks(s: str) -> list[str]:
    """Split at spaces outside braces and math, so each piece converts on its own."""
    parts, start, depth, math = [], 0, 0, False
    for i, c in enumerate(s):
        if i and s[i - 1] == "\\":
            continue
        if c == "$":
            math = not math
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == " " and depth <= 0 and not math:
            parts.append(s[start:i])
            start = i + 1
    parts.append(s[start:])
    return [p for p in parts if p]


def latex_title(value: object) -> str:
    """A title for BibTeX: LaTeX as `latex`, and words whose case matters (and math) braced,
    so a style that lowercases titles leaves "AdS", "BERT" and $N$ alone."""
    s = " ".join(str(value or "").split())
    if not _braces_balanced(s) or not _dollars_balanced(s):
        pieces = s.split(" ")
    else:
        pieces = _chunks(s)
    out = []
    for piece in pieces:
        lx = latex(piece)
        if protect(plain(piece)) or re.search(r"(?<!\\)\$", lx):
            # "{\cmd...}" is a BibTeX special character whose letters change.case$ still
            # lowercases; a second pair of braces makes it a plain protected group.
            lx = "{{" + lx + "}}" if lx.startswith("\\") else "{" + lx + "}"
        out.append(lx)
    return " ".join(out)

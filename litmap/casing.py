"""A title for BibTeX that keeps the case its author meant: which words a style may recase.

bibtex styles (plain.bst and most journals') lowercase a title but its first letter; CSL styles
(pandoc, Zotero) may Title Case it. Both leave a braced group as it is, so a word is braced when
its case carries meaning:

* its shape says so: BERT, GPT-4, LaTeX, iPhone, N=2, a lone capital ("Method B"), or math;
* it is a name: a capital word inside a sentence-case title (its author capitalised it on
  purpose: "Holography and the Weyl anomaly"), a capital word after a name particle ("de
  Sitter", "van der Waals"), a word the paper's own abstract capitalises mid-sentence
  ("...for Yang-Mills theory..."), or one of the eponyms of ``NAMES``; a hyphenated word is
  braced whole when one part is a name ("Yang-Mills", "Einstein-Yang-Mills-Higgs");
* it is a symbol written in lowercase that Title Case would break: "pp-waves", "p-branes",
  "c-functions", "pp".

A word left to the style spells its accents ``K\\"{a}hler``: after a capital, a ``{\\"a}`` group
makes pandoc lowercase the capital ("kähler"). A braced word keeps ``{\\"a}``, which all read.
"""

from __future__ import annotations

import re

from litmap.text import _braces_balanced, _dollars_balanced, latex, plain

__all__ = ["latex_title", "protect", "NAMES"]

# Eponyms and other names common in titles, that Title Case hides. Not words English also
# uses in lowercase (Born, Green, Killing, Low, Hall, Bell): those need other evidence.
NAMES = frozenset("""
Abelian Airy Alzheimer Ampere Anderson Arnoldi Atiyah Avogadro Banach Bardeen Batalin Baxter Bayes Bayesian
Becchi Bekenstein Bellman Bernoulli Bessel Bethe Bianchi Bloch Bogomolny Bogoliubov Boltzmann Boolean Borel Bose
Bott Brans Brownian Calabi Callan Carlo Cartan Casimir Cauchy Chandrasekhar Chebyshev Chern Christoffel
Clifford Coulomb Dicke Dijkstra Dirac Dirichlet Donaldson Drude Dyson Eddington Einstein Euclid Euclidean Euler
Eulerian Faddeev Fermat Fermi Feynman Finkelstein Floer Fock Fokker Fourier Fredholm Friedmann Galerkin Galilean
Galilei Gauss Gaussian Gibbs Ginzburg Godel Gödel Goldstone Gromov Hamilton Hamiltonian Hartree Hawking Hebbian
Heisenberg Helmholtz Hermite Hermitian Hessian Higgs Hilbert Hodge Hopf Hopfield Hubbard Hubble Huffman Infeld
Ising Jacobi Jacobian Josephson Kac Kahler Kähler Kalman Kaluza Kasner Kerr Kolmogorov Kondo Kronecker Kruskal
Krylov Kutta Lagrange Lagrangian Lanczos Landau Langevin Laplace Laplacian Laguerre Lebesgue Legendre Lemaitre
Lemaître Liouville Lipschitz Lorentz Lorentzian Lyapunov Majorana Maldacena Markov Markovian Maxwell Maxwellian
Mendel Mendelian Michaelis Mills Minkowski Misner Moody Navier Nambu Neveu Newtonian Noether Nordstrom Nordström
Nyquist Onsager Oppenheimer Pareto Pauli Penrose Planck Poincare Poincaré Poisson Polyakov Potts Proca Ramond
Rayleigh Regge Reissner Ricci Riemann Riemannian Runge Schrodinger Schrödinger Schwarzschild Schwinger Seiberg
Shannon Sitter Slavnov Sobolev Sommerfeld Stokes Symanzik Thirring Toda Turing Unruh Veneziano Virasoro
Volterra Voronoi Wannier Weierstrass Weinberg Wess Weyl Wheeler Wiener Wigner Wilson Wilsonian Witten Yang Yau
Yukawa Zamolodchikov Zumino
""".split())

# Small words Title Case leaves lowercase, and two-letter English words: never evidence.
_SMALL = frozenset("""a an the and but or nor for so yet as at by in of off on per to up via vs versus with
from into onto over upon than that this is are be its not no do go we us it me my if am""".split())
# Lowercase particles of names: the capital word after one is a surname.
_PARTICLES = frozenset("de van von der den di du del della des ter ten dos".split())
_PREFIXES = frozenset("co bi re un de ex in".split())  # co-, re-, un-...: English, not a symbol
_SENTENCE_END = re.compile(r"[.:?!]['\")\]]*$")
_ABSTRACT_WORD = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f']*")
_MAX_CONTEXT = 20_000  # characters of an abstract read for evidence


def protect(word: str) -> bool:
    """Does BibTeX need to keep this title word's case by its shape alone? BERT, GPT-4, LaTeX,
    iPhone, N=2, lone capitals ("I", "Method B") and a capital symbol before a hyphen (F-theory,
    D-branes); "A" is nearly always the article of a Title Case title."""
    upper = [c.isupper() for c in word]
    return any(upper[1:]) or (any(upper) and any(c.isdigit() for c in word)) \
        or (len(word) == 1 and word.isupper() and word != "A") or bool(re.match(r"[A-Z]-\w", word))


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


def _mid_sentence_capitals(context: str) -> set[str]:
    """Words the text capitalises mid-sentence and never writes in lowercase: its names."""
    capital, lower = set(), set()
    for m in _ABSTRACT_WORD.finditer(context[:_MAX_CONTEXT]):
        w = m.group()
        if w[0].islower():
            lower.add(w.lower())
        elif w[1:].islower() and not _SENTENCE_END.search(context[:m.start()].rstrip() or "."):
            capital.add(w)
    return {w for w in capital if w.lower() not in lower and w.lower() not in _SMALL}


def _letters(word: str) -> str:
    return re.sub(r"^[^\w]+|[^\w]+$", "", word)


def _is_symbol(word: str) -> bool:
    """pp-waves, p-branes, c-functions, pp: a lowercase symbol Title Case would capitalise (a
    lone letter, "a < b", is left alone: it is as often a word as a variable)."""
    w = _letters(word)
    head = w.split("-")[0]
    return bool(re.fullmatch(r"[a-z]{1,2}", head)) and head not in _SMALL and head not in _PREFIXES \
        and ("-" in w or len(w) == 2)


def _names(words: list[str], starts: list[bool], context: str) -> list[bool]:
    """Which plain title words are (or contain) a name whose capital must stay."""
    content = [w for w, s in zip(words, starts) if not s and w[:1].isalpha() and w.lower() not in _SMALL
               and not protect(w)]
    capitals = sum(w[0].isupper() for w in content)
    lowers = len(content) - capitals
    sentence_case = lowers > capitals or lowers == capitals >= 2  # one of each: no telling
    evidence = _mid_sentence_capitals(context) if context else set()
    out = []
    for i, (w, start) in enumerate(zip(words, starts)):
        parts = [_letters(p) for p in w.split("-")]
        capital = [p[:1].isupper() for p in parts]
        after_particle = i > 0 and _letters(words[i - 1]).split("-")[-1].lower() in _PARTICLES
        out.append(any(capital) and (
            (sentence_case and not start and w[:1].isupper())
            or (after_particle and capital[0])
            or any(c and (p in NAMES or p in evidence) for p, c in zip(parts, capital))))
    return out


_OPEN_ACCENT = re.compile(r"(?<=[A-Z])\{\\([`'^\"~=.])([A-Za-z])\}|(?<=[A-Z])\{\\([uvHcdbtkr])\{([A-Za-z])\}\}")


def _open_accents(lx: str) -> str:
    """K{\\"a}hler -> K\\"{a}hler: pandoc lowercases a capital that such a group follows."""
    return _OPEN_ACCENT.sub(lambda m: "\\" + (m.group(1) or m.group(3)) + "{" + (m.group(2) or m.group(4)) + "}", lx)


def _grouped(lx: str) -> bool:
    """Is the whole value one brace group ("{Logic}", not "{\\v{C}}ech")?"""
    depth = 0
    for i, c in enumerate(lx):
        if c in "{}" and (i == 0 or lx[i - 1] != "\\"):
            depth += 1 if c == "{" else -1
            if depth == 0 and i < len(lx) - 1:
                return False
    return lx.startswith("{") and depth == 0


def latex_title(value: object, context: object = None) -> str:
    """A title for BibTeX: LaTeX as `text.latex`, and the words whose case matters (and math)
    braced. `context`: the paper's abstract, whose mid-sentence capitals show its names."""
    s = " ".join(str(value or "").split())
    if not _braces_balanced(s) or not _dollars_balanced(s):
        pieces = s.split(" ")
    else:
        pieces = _chunks(s)
    words = [plain(p) for p in pieces]
    starts = [i == 0 or bool(_SENTENCE_END.search(words[i - 1])) for i in range(len(words))]
    names = _names(words, starts, str(context or ""))
    out = []
    for piece, word, name in zip(pieces, words, names):
        lx = latex(piece)
        if _grouped(lx):
            pass  # the author braced it already
        elif protect(word) or name or _is_symbol(word) or re.search(r"(?<!\\)\$", lx):
            # "{\cmd...}" is a BibTeX special character whose letters change.case$ still
            # lowercases; a second pair of braces makes it a plain protected group.
            lx = "{{" + lx + "}}" if lx.startswith("\\") else "{" + lx + "}"
        else:
            lx = _open_accents(lx)
        out.append(lx)
    return " ".join(out)

import pytest

from litmap import ids

GOOD = [
    ("2305.01610", "arxiv", "2305.01610", "ARXIV:2305.01610"),
    ("2305.01610v2", "arxiv", "2305.01610", "ARXIV:2305.01610"),
    ("arXiv:2305.01610", "arxiv", "2305.01610", "ARXIV:2305.01610"),
    ("ARXIV:2305.01610v3", "arxiv", "2305.01610", "ARXIV:2305.01610"),
    ("0704.0001", "arxiv", "0704.0001", "ARXIV:0704.0001"),
    ("https://arxiv.org/abs/2305.01610v2", "arxiv", "2305.01610", "ARXIV:2305.01610"),
    ("https://arxiv.org/pdf/2305.01610", "arxiv", "2305.01610", "ARXIV:2305.01610"),
    ("http://arxiv.org/pdf/2305.01610v1.pdf", "arxiv", "2305.01610", "ARXIV:2305.01610"),
    ("https://export.arxiv.org/abs/hep-th/9711200", "arxiv", "hep-th/9711200", "ARXIV:hep-th/9711200"),
    ("hep-th/9711200", "arxiv", "hep-th/9711200", "ARXIV:hep-th/9711200"),
    ("hep-th/9711200v3", "arxiv", "hep-th/9711200", "ARXIV:hep-th/9711200"),
    ("arXiv:math.GT/0309136", "arxiv", "math.GT/0309136", "ARXIV:math.GT/0309136"),
    ("10.1145/3292500.3330701", "doi", "10.1145/3292500.3330701", "DOI:10.1145/3292500.3330701"),
    ("doi:10.2139/ssrn.2250500", "doi", "10.2139/ssrn.2250500", "DOI:10.2139/ssrn.2250500"),
    ("DOI:10.1093/mind/lix.236.433", "doi", "10.1093/mind/lix.236.433", "DOI:10.1093/mind/lix.236.433"),
    ("https://doi.org/10.1038/s42256-024-00832-8", "doi", "10.1038/s42256-024-00832-8",
     "DOI:10.1038/s42256-024-00832-8"),
    ("http://dx.doi.org/10.1023/a:1007154515475", "doi", "10.1023/a:1007154515475", "DOI:10.1023/a:1007154515475"),
    ("cb1ebd913c3724c599f6b276b14b5c6253da68f3", "s2", "cb1ebd913c3724c599f6b276b14b5c6253da68f3",
     "cb1ebd913c3724c599f6b276b14b5c6253da68f3"),
    ("CB1EBD913C3724C599F6B276B14B5C6253DA68F3", "s2", "cb1ebd913c3724c599f6b276b14b5c6253da68f3",
     "cb1ebd913c3724c599f6b276b14b5c6253da68f3"),
    ("https://www.semanticscholar.org/paper/The-Miracle-of-Microfinance/cb1ebd913c3724c599f6b276b14b5c6253da68f3",
     "s2", "cb1ebd913c3724c599f6b276b14b5c6253da68f3", "cb1ebd913c3724c599f6b276b14b5c6253da68f3"),
    ("https://www.semanticscholar.org/paper/cb1ebd913c3724c599f6b276b14b5c6253da68f3", "s2",
     "cb1ebd913c3724c599f6b276b14b5c6253da68f3", "cb1ebd913c3724c599f6b276b14b5c6253da68f3"),
    ("CorpusId:3142471", "corpusid", "3142471", "CorpusId:3142471"),
    ("corpusid:3142471", "corpusid", "3142471", "CorpusId:3142471"),
    ("PMID:19872", "pmid", "19872", "PMID:19872"),
    ("PMCID:PMC2323736", "pmcid", "PMC2323736", "PMCID:PMC2323736"),
    ("PMCID:2323736", "pmcid", "PMC2323736", "PMCID:PMC2323736"),
    ("ACL:P19-1001", "acl", "P19-1001", "ACL:P19-1001"),
    ("MAG:2921691074", "mag", "2921691074", "MAG:2921691074"),
]


@pytest.mark.parametrize("text,kind,value,api_id", GOOD)
def test_accepted_forms_normalise(text, kind, value, api_id):
    ref = ids.parse(text)
    assert (ref.kind, ref.value, ref.api_id) == (kind, value, api_id)


@pytest.mark.parametrize("text", ['"Attention is all you need"', "Attention is all you need", "'Deep   learning'",
                                  "title:BERT"])
def test_titles(text):
    ref = ids.parse(text)
    assert ref.kind == "title"
    assert "  " not in ref.value and not ref.value.startswith(("'", '"'))
    with pytest.raises(ValueError):
        _ = ref.api_id


def test_alias_keys_are_case_stable():
    assert ids.parse("DOI:10.1145/ABC").alias == ids.parse("https://doi.org/10.1145/abc").alias == "DOI:10.1145/abc"
    assert ids.parse("2305.01610v2").alias == ids.parse("arXiv:2305.01610").alias
    assert ids.alias_key("corpusid", "12") == "CORPUSID:12"


# Thirty malformed identifiers: each must be refused with a message naming the accepted forms.
BAD = [
    "", " ", "foo", "2305", "2305.016", "2305.016100", "2313.01610", "2300.01610", "arXiv:", "arXiv:foo",
    "hep-th/971120", "hep-th/97112000", "hep-th/9713200", "10.1145", "10.12/x", "doi:", "doi:11.1145/x",
    "cb1ebd913c3724c599f6b276b14b5c6253da68f", "cb1ebd913c3724c599f6b276b14b5c6253da68f3a", "CorpusId:", "CorpusId:abc",
    "PMID:12a", "PMCID:PMCxyz", "ACL:", "MAG:x1", "https://example.com/paper/1", "https://arxiv.org/list/hep-th",
    "https://www.semanticscholar.org/search?q=x", "ftp://arxiv.org/abs/2305.01610", "<script>alert(1)</script>",
]


def test_thirty_malformed():
    assert len(BAD) == 30 and len(set(BAD)) == 30


@pytest.mark.parametrize("text", BAD)
def test_malformed_are_refused(text):
    with pytest.raises(ids.IdError) as info:
        ids.parse(text)
    message = str(info.value)
    assert "\n" not in message and "accepted" in message and "CorpusId:N" in message

"""blame, history, positions and gap: on the case study (what its sources support) and on a
small deal with a branch and a rename."""

from __future__ import annotations

import pytest
from small_deal import write_small_deal

USD_500B = {"type": "money", "amount": "500000000000", "currency": "USD"}


@pytest.fixture
def deal(tracker, tmp_path):
    tracker.ok("record", *write_small_deal(tmp_path / "deal"))
    return tracker


def _terms(data):
    return {t["term"]: t for t in data["terms"]}


def _latest(data):
    """Party → the id of the latest draft it tabled (None: none yet)."""
    return {party: summary and summary["id"] for party, summary in data["latest"].items()}


def _pos(entry, party):
    """(text, draft, absent) of a party's position."""
    p = entry["positions"][party]
    return None if p is None else (p["text"], p["draft"], p["absent"])


# --- positions on the case study ---------------------------------------------------------------

# What sources say Kyiv demanded on 14 February: nothing else of its text is known.
KYIV_DEMANDS = {
    "security_guarantees": "yes", "management_model": "joint", "past_aid_as_debt": "no",
    "ukrainian_law_compliance": "yes", "us_companies_priority": "yes", "investment_and_jobs_for_ukrainians": "yes",
}


def test_kyivs_amendments_are_ukraines_position_only_on_what_kyiv_demanded(seeded):
    data = seeded.json("positions", "--as-of", "2025-02-21")
    assert data["schema"] == "tracker.positions/v3"
    terms = _terms(data)
    ua = {k: t["positions"]["UA"]["text"] for k, t in terms.items() if t["positions"]["UA"]}
    assert ua == KYIV_DEMANDS
    # The US's lien, right of first refusal and 50% shares are not Ukraine's position: unaddressed.
    for key in ("revenue_lien", "right_of_first_refusal", "revenue_share", "license_revenue_share", "governing_law"):
        assert (terms[key]["status"], terms[key]["positions"]["UA"]) == ("unaddressed", None), key
    assert terms["revenue_lien"]["positions"]["US"]["draft"] == "us-initial"


def test_positions_after_kyivs_amendments(seeded):
    data = seeded.json("positions", "--as-of", "2025-02-14")
    assert _latest(data) == {"US": "us-initial", "UA": "kyiv-amendments"}
    assert data["counts"] == {"agreed": 0, "open": 2, "unaddressed": 16}
    terms = _terms(data)
    assert terms["security_guarantees"]["status"] == "open"
    assert _pos(terms["security_guarantees"], "US") == ("none", "us-initial", True)
    assert _pos(terms["security_guarantees"], "UA") == ("yes", "kyiv-amendments", False)
    # The $500B is disputed for the first text: its competing account travels with the position.
    comp = terms["compensation_amount"]["positions"]["US"]
    assert (comp["value"], comp["confidence"]) == (USD_500B, "disputed")
    assert [r["text"] for r in comp["reports"]] == ["none"]


def test_positions_before_the_other_side_has_tabled_anything_are_unaddressed(seeded):
    data = seeded.json("positions", "--as-of", "2025-02-12")
    assert _latest(data) == {"US": "us-initial", "UA": None}
    assert data["counts"] == {"agreed": 0, "open": 0, "unaddressed": 14}


def test_positions_now_security_guarantees_are_open_and_left_for_later(seeded):
    data = seeded.json("positions")
    assert _latest(data) == {"US": "fund-framework", "UA": "fund-framework"}
    assert data["latest"]["US"]["status"] == "agreed"  # the draft summary, as everywhere
    assert data["counts"] == {"agreed": 16, "open": 1, "unaddressed": 17}
    terms = _terms(data)
    sg = terms["security_guarantees"]
    assert (sg["status"], sg["positions"]["UA"]["deferred"], sg["positions"]["UA"]["text"]) == ("open", True, "no")
    assert terms["compensation_amount"]["status"] == "agreed"  # both state it is not there
    assert _pos(terms["compensation_amount"], "UA") == ("none", "fund-framework", True)
    # Reported for the US drafts only: never restated, never dropped.
    assert (terms["revenue_lien"]["status"], _pos(terms["revenue_lien"], "US")) == ("unaddressed", ("yes", "us-initial", False))


def test_positions_text_names_each_term_and_marks_what_is_not_stated(seeded):
    out = seeded.ok("positions", "--as-of", "2025-02-14").stdout
    assert out.startswith("Positions as of 2025-02-14\n  United States (US): latest draft us-initial\n  Ukraine (UA): latest draft kyiv-amendments\n")
    assert "0 agreed, 2 open, 16 unaddressed" in out
    line = next(l for l in out.splitlines() if l.startswith("revenue_lien"))
    assert line.split() == ["revenue_lien", "(Revenues", "liened", "in", "favour", "of", "the", "US)", "yes", "(not", "stated)", "unaddressed"]
    assert "  compensation_amount (US, us-initial): disputed: $500 billion" in out


# --- gap and convergence on the case study --------------------------------------------------


def test_gap_convergence_counts_only_what_both_sides_state(seeded):
    data = seeded.json("gap")
    assert data["schema"] == "tracker.gap/v3"
    conv = [(c["date"], c["drafts"], c["agreed"], c["open"], c["unaddressed"], c["share"]) for c in data["convergence"]]
    assert conv == [
        ("2025-02-12", ["us-initial"], 0, 0, 14, None),
        ("2025-02-14", ["kyiv-amendments"], 0, 2, 16, 0.0),
        ("2025-02-21", ["us-revised"], 2, 2, 22, 0.5),  # joint management and Ukrainian law
        ("2025-02-22", ["draft-2025-02-22"], 2, 2, 22, 0.5),
        ("2025-02-24", ["draft-2025-02-24"], 2, 2, 24, 0.5),
        ("2025-02-25", ["fund-framework"], 16, 1, 17, 0.9412),
    ]
    assert {k: d["text"] for k, d in data["convergence"][1]["distances"].items()} == {
        "past_aid_as_debt": "opposite", "security_guarantees": "opposite",
    }


def test_gap_now_lists_security_guarantees_as_open_never_no_open_terms(seeded):
    result = seeded.ok("gap", "US", "Kyiv")
    assert result.stdout.startswith(
        "Gap between United States (US) and Ukraine (UA) now: 1 open, 16 agreed, 17 addressed by one side only\n"
    )
    assert "No open terms." not in result.stdout
    row = next(l for l in result.stdout.splitlines() if l.startswith("security_guarantees"))
    assert row.endswith("no (deferred)  no (deferred)  left for later")
    data = seeded.json("gap")
    assert [(r["term"], r["deferred"]) for r in data["open"]] == [("security_guarantees", True)]
    assert ("revenue_lien", ["US"]) in [(r["term"], r["addressed_by"]) for r in data["unaddressed"]]


# --- blame ----------------------------------------------------------------------------------------


def test_blame_on_the_joint_text_credits_each_value_where_it_was_first_stated(seeded):
    data = seeded.json("blame", "fund-framework")
    assert data["schema"] == "tracker.blame/v3"
    terms = _terms(data)
    rs = terms["revenue_share"]
    assert (rs["from"]["id"], rs["pushed_by"], rs["basis"], rs["stated"]) == ("us-initial", ["US"], "author", True)
    assert rs["sources"][0]["quote"] == "sought to secure 50% of the income from license sales and other proceeds"
    # The FT places the removal of the $500B in the draft of 22 February.
    comp = terms["compensation_amount"]
    assert (comp["from"]["id"], comp["pushed_by"], comp["stance"]) == ("draft-2025-02-22", ["US"], {"US": "concession"})
    assert comp["sources"] == [{"source": "ft-via-bne", "outlet": "Financial Times (via bne IntelliNews)",
                                "quote": "were removed from the subsequent draft from Saturday",
                                "url": "https://bne.eu/ukraine-agrees-to-a-revised-us-mineral-deal-offer-369027/", "date": None, "event": None}]
    assert (terms["governing_law"]["from"]["id"], terms["governing_law"]["pushed_by"]) == ("draft-2025-02-24", ["US"])
    assert (terms["management_model"]["from"]["id"], terms["management_model"]["pushed_by"]) == ("kyiv-amendments", ["UA"])
    # Not restated by the agreed text: carried over, unconfirmed, credited where it was stated.
    lien = terms["revenue_lien"]
    assert (lien["stated"], lien["from"]["id"], lien["text"]) == (False, "us-initial", "yes")


def test_blame_follows_a_rename_back_to_the_draft_that_first_set_the_value(deal):
    terms = _terms(deal.json("blame", "d5"))
    assert terms["exclusivity"]["from"] == {"id": "d1", "seq": 1, "date": "2025-03-01", "tabled_by": ["A"], "key": "no_shop", "left_out": False}
    assert (terms["x"]["from"]["id"], terms["x"]["pushed_by"], terms["x"]["basis"]) == ("d2", ["B"], "author")
    assert terms["x"]["sources"] == [{"source": "memo", "outlet": "Internal memo", "quote": "five per cent", "url": "https://example.org/memo",
                                    "date": None, "event": None}]
    assert (terms["y"]["from"]["id"], terms["y"]["pushed_by"]) == ("d1", ["A"])  # $5M → $6M → $5M
    assert (terms["z"]["from"]["id"], terms["z"]["pushed_by"]) == ("d5", ["A", "B"])
    assert (terms["w"]["basis"], terms["w"]["pushed_by"], terms["w"]["evidence"]) == ("explicit", ["A"], "A's letter of 8 March")
    assert terms["w"]["sources"] == [{"source": "letter", "outlet": "Letter from A", "quote": "we insist on w", "url": None, "date": "2025-03-08",
                                    "event": None}]
    assert (terms["v"]["basis"], terms["v"]["pushed_by"], terms["v"]["from"]["id"]) == ("explicit", ["B"], "d3")


def test_blame_on_a_sibling_branch_credits_the_party_whose_value_was_taken_up(deal):
    terms = _terms(deal.json("blame", "d2b"))
    x = terms["x"]
    assert (x["from"]["id"], x["pushed_by"], x["basis"], x["adopted_from"]) == ("d2b", ["B"], "adopted", "d2")
    assert x["evidence"] == "B proposed the value 5% in d2 (2025-03-03)"
    assert terms["no_shop"]["from"]["key"] == "no_shop"


def test_blame_text_names_the_old_key_of_a_renamed_term(deal):
    out = deal.ok("blame", "v6").stdout
    assert out.startswith("d5 (v6, A,B, 2025-03-09): where each term's value comes from\n")
    line = next(l for l in out.splitlines() if l.startswith("exclusivity"))
    assert line.split() == ["exclusivity", "45", "days", "d1", "(v1)", "as", "no_shop", "2025-03-01", "A", "(author)", "A", "opening"]
    assert "  w: A's letter of 8 March" in out


# --- history ----------------------------------------------------------------------------------


def test_history_walks_every_branch_in_date_order_with_who_pushed_each_change(deal):
    data = deal.json("history", "x")
    assert data["schema"] == "tracker.history/v3"
    rows = [(d["id"], d["tabled_by"], d["event"], d["text"], d["pushed_by"] and (d["pushed_by"], d["basis"]), d["moves"])
            for d in data["drafts"]]
    assert rows == [
        ("d1", ["A"], "added", "10%", (["A"], "author"), {"A": "opening"}),
        ("d2", ["B"], "changed", "5%", (["B"], "author"), {"B": "opening"}),
        ("d2b", ["A"], "changed", "5%", (["B"], "adopted"), {"A": "concession"}),  # A prefers higher
        ("d3", ["A"], "changed", "7%", (["A"], "author"), {"A": "hardening"}),  # from its own 5% in d2b
        ("d4", ["A"], "changed", "5%", (["B"], "adopted"), {"A": "concession"}),
        ("d5", ["A", "B"], "unchanged", "5%", None, {}),
    ]
    assert data["drafts"][0]["sources"] == [{"source": "memo", "outlet": "Internal memo", "quote": "ten per cent", "url": "https://example.org/memo",
                                          "date": None, "event": None}]


def test_history_follows_a_term_across_its_rename_from_either_name(deal):
    by_new = deal.json("history", "exclusivity")
    assert by_new["aliases"] == ["no_shop"]
    assert [(d["id"], d["key"], d["event"], d["text"]) for d in by_new["drafts"]] == [
        ("d1", "no_shop", "added", "45 days"),
        ("d2", "exclusivity", "renamed", "45 days"),
        ("d2b", "no_shop", "unchanged", "45 days"),
        ("d3", "exclusivity", "unchanged", "45 days"),
        ("d4", "exclusivity", "unchanged", "45 days"),
        ("d5", "exclusivity", "unchanged", "45 days"),
    ]
    by_old = deal.json("history", "no_shop")
    assert by_old["aliases"] == ["exclusivity"]
    assert [d["key"] for d in by_old["drafts"]] == [d["key"] for d in by_new["drafts"]]


def test_history_marks_drops_and_drafts_without_the_term(deal):
    rows = [(d["id"], d["event"], d["text"], d["moves"]) for d in deal.json("history", "z")["drafts"]]
    assert rows == [
        ("d1", "added", "[p, q]", {"A": "opening"}),
        ("d2", "dropped", "none", {"B": "opening"}),
        ("d2b", "unchanged", "[p, q]", {}),
        # d3 answers d2, which left z out: A gives up its own [p, q] (d2b), as B had.
        ("d3", "absent", "none", {"A": "concession"}),
        ("d4", "absent", "none", {}),
        ("d5", "added", "[p]", {"A": "neutral", "B": "neutral"}),  # a new clause neither had: no side gave way
    ]


def test_history_of_the_500b_from_payback_to_cap_to_removed_with_quotes(seeded):
    data = seeded.json("history", "compensation_amount")
    assert [(d["id"], d["event"], d["text"], d["confidence"], d["stated"]) for d in data["drafts"]] == [
        ("us-initial", "added", "$500 billion", "disputed", True),
        ("kyiv-amendments", "carried", "$500 billion", "disputed", False),  # no source says what Kyiv proposed
        ("us-revised", "changed", "up to $500 billion", "confirmed", True),  # a cap, not a payback
        ("draft-2025-02-22", "dropped", "none", "reported", True),
        ("draft-2025-02-24", "carried", "none", "reported", False),
        ("fund-framework", "absent", "none", "confirmed", True),
    ]
    assert data["drafts"][3]["pushed_by"] == ["US"]
    assert data["drafts"][3]["moves"] == {"US": "concession"}
    assert data["drafts"][0]["reports"] == [{"value": {"type": "none"}, "text": "none", "sources": [
        {"source": "kyiv-independent-2025-02-22", "quote": "was not listed in the original proposal presented ... on Feb. 12"}],
        "note": data["drafts"][0]["reports"][0]["note"]}]
    text = seeded.ok("history", "compensation_amount").stdout
    assert "  us-initial [telegraph-2025-02-17, The Telegraph (via LIGA.net)]: “$500 billion payback”" in text
    assert "  us-initial: disputed: $500 billion" in text and "also reported: none (kyiv-independent-2025-02-22)" in text


def test_history_of_security_guarantees_ends_deferred_with_ukraine_conceding(seeded):
    rows = [(d["id"], d["event"], d["text"], d["deferred"], d["moves"]) for d in seeded.json("history", "security_guarantees")["drafts"]]
    assert rows[1] == ("kyiv-amendments", "changed", "yes", False, {"UA": "opening"})
    assert rows[-1] == ("fund-framework", "unchanged", "no", True, {"UA": "concession"})  # none = the default, no


# --- positions and gap on the small deal (renames, pushes, as-of) ---------------------------------


def test_positions_as_of_dates_move_with_each_draft(deal):
    counts = {day: deal.json("positions", "--as-of", day)["counts"] for day in ("2025-02-28", "2025-03-01", "2025-03-04", "2025-03-05")}
    assert counts == {
        "2025-02-28": {"agreed": 0, "open": 0, "unaddressed": 0},
        "2025-03-01": {"agreed": 0, "open": 0, "unaddressed": 5},
        "2025-03-04": {"agreed": 2, "open": 3, "unaddressed": 0},
        "2025-03-05": {"agreed": 2, "open": 3, "unaddressed": 1},
    }


def test_a_renamed_term_is_one_position_not_a_drop_and_an_add(deal):
    terms = _terms(deal.json("positions", "--as-of", "2025-03-03"))
    assert "no_shop" not in terms
    assert terms["exclusivity"]["aliases"] == ["no_shop"]
    assert terms["exclusivity"]["status"] == "agreed"
    assert _pos(terms["exclusivity"], "A") == ("45 days", "d1", False)


def test_a_term_pushed_by_a_party_in_the_others_draft_is_not_its_position(deal):
    # d3 (A's) says B pushed v: that is who pushed the change, not a draft B tabled.
    terms = _terms(deal.json("positions", "--as-of", "2025-03-05"))
    assert (_pos(terms["v"], "B"), terms["v"]["status"]) == (None, "unaddressed")
    assert _pos(terms["x"], "B") == ("5%", "d2", False)
    assert (terms["z"]["status"], _pos(terms["z"], "A"), _pos(terms["z"], "B")) == ("agreed", ("none", "d3", True), ("none", "d2", True))


def test_gap_between_named_parties_with_typed_distances(deal):
    data = deal.json("gap", "Beta", "a", "--as-of", "2025-03-05")
    assert data["parties"] == ["B", "A"]
    assert {r["term"]: r["distance"]["text"] for r in data["open"]} == {
        "tier": "1 rank apart (of 2, B's ranking)", "x": "2 pp", "y": "$1 million",
    }
    assert [(c["date"], c["share"]) for c in data["convergence"]] == [
        ("2025-03-01", None), ("2025-03-03", 0.2), ("2025-03-04", 0.4), ("2025-03-05", 0.4),
    ]


# --- bad input: one line, the right exit code ---------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["positions", "--as-of", "2025-13-01"], 3, "--as-of: '2025-13-01' is not a date (write YYYY-MM-DD)"),
        (["gap", "--as-of", "yesterday"], 3, "--as-of: 'yesterday' is not a date (write YYYY-MM-DD)"),
        (["gap", "US", "Russia"], 4, "unknown party 'Russia' (parties of us-ukraine-minerals-2025: US, UA)"),
        (["gap", "US"], 3, "give two parties to compare, not 1"),
        (["gap", "US", "Washington"], 3, "'US' and 'Washington' are the same party (US)"),
        (["blame", "v9"], 4, "unknown draft 'v9' (versions run v1..v6)"),
        (["history", "compensation"], 4,
         "unknown term 'compensation': no draft of us-ukraine-minerals-2025 has it (did you mean compensation_amount?)"),
        (["positions", "--negotiation", "nope"], 4, "unknown negotiation 'nope' (known: us-ukraine-minerals-2025)"),
    ],
)
def test_bad_input_is_one_line_and_an_exit_code(seeded, args, code, message):
    result = seeded(*args)
    assert result.exit_code == code
    assert result.stderr == f"Error: {message}\n"
    assert result.stdout == ""


def test_gap_needs_two_named_parties_when_there_are_more(tracker):
    tracker.ok("negotiation", "create", "trio", "-t", "Three", "-p", "A=Alpha", "-p", "B=Beta", "-p", "C=Gamma")
    result = tracker("gap")
    assert result.exit_code == 3
    assert result.stderr == "Error: trio has 3 parties (A, B, C); name the two to compare\n"


def test_positions_on_an_empty_database_say_what_to_do(tracker):
    result = tracker("positions")
    assert result.exit_code == 4
    assert result.stderr == "Error: no negotiations recorded yet (try `tracker seed` or `tracker negotiation create`)\n"

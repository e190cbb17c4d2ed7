"""blame, history, positions and gap: on the case study and on a small deal with a branch and a rename."""

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


def _pos(entry, party):
    p = entry["positions"][party]
    return None if p is None else (p["text"], p["draft"], p["via"])


# --- positions on the case study ---------------------------------------------------------------


def test_positions_after_kyivs_amendments_show_the_500b_demand_against_none(seeded):
    data = seeded.json("positions", "--as-of", "2025-02-14")
    assert data["schema"] == "tracker.positions/v1"
    assert data["latest"] == {"US": "us-initial", "UA": "kyiv-amendments"}
    assert data["counts"] == {"agreed": 11, "open": 7, "dropped": 0}
    terms = _terms(data)
    comp = terms["compensation_amount"]
    assert comp["status"] == "open"
    assert comp["positions"]["US"]["value"] == USD_500B
    assert comp["positions"]["UA"]["value"] == {"type": "none"}
    # Kyiv objected to the 50% share but proposed nothing else: it stood agreed on paper.
    assert terms["revenue_share"]["status"] == "agreed"
    assert _pos(terms["revenue_share"], "US") == ("50%", "us-initial", "tabled")
    assert _pos(terms["revenue_share"], "UA") == ("50%", "kyiv-amendments", "tabled")
    assert terms["security_guarantees"]["status"] == "open"
    assert _pos(terms["security_guarantees"], "US") == ("absent", "us-initial", "tabled")
    assert _pos(terms["security_guarantees"], "UA") == ("binding", "kyiv-amendments", "tabled")


def test_positions_before_the_other_side_has_tabled_anything_are_all_open(seeded):
    data = seeded.json("positions", "--as-of", "2025-02-12")
    assert data["latest"] == {"US": "us-initial", "UA": None}
    assert data["counts"] == {"agreed": 0, "open": 15, "dropped": 0}
    assert _terms(data)["compensation_amount"]["positions"]["UA"] is None


def test_positions_on_the_revised_us_draft_count_a_term_pushed_by_the_other_side(seeded):
    terms = _terms(seeded.json("positions", "--as-of", "2025-02-21"))
    # us-revised says Kyiv pushed joint management: that is Ukraine's latest position on it.
    assert _pos(terms["management_model"], "UA") == ("joint", "us-revised", "pushed")
    assert _pos(terms["management_model"], "US") == ("joint", "us-revised", "tabled")
    assert terms["management_model"]["status"] == "agreed"
    assert terms["compensation_amount"]["positions"]["US"]["value"] == USD_500B
    assert terms["revenue_share"]["status"] == "agreed"


def test_positions_now_everything_in_the_joint_text_is_agreed(seeded):
    data = seeded.json("positions")
    assert data["as_of"] is None
    assert data["latest"] == {"US": "fund-framework", "UA": "fund-framework"}
    assert data["counts"] == {"agreed": 13, "open": 0, "dropped": 18}
    terms = _terms(data)
    assert terms["compensation_amount"]["status"] == "dropped"  # explicitly none on both sides
    assert terms["security_guarantees"]["status"] == "agreed"
    assert _pos(terms["security_guarantees"], "US") == ("mentioned", "fund-framework", "tabled")
    assert _pos(terms["revenue_share"], "UA") == ("50%", "fund-framework", "tabled")
    assert terms["license_revenue_share"]["status"] == "dropped"


def test_positions_text_lists_each_partys_latest_draft_and_the_counts(seeded):
    out = seeded.ok("positions", "--as-of", "2025-02-14").stdout
    assert out.startswith("Positions as of 2025-02-14\n  United States (US): latest draft us-initial\n  Ukraine (UA): latest draft kyiv-amendments\n")
    assert "11 agreed, 7 open, 0 dropped by everyone" in out
    line = next(l for l in out.splitlines() if l.startswith("compensation_amount"))
    assert line.split() == ["compensation_amount", "$500", "billion", "none", "open"]


# --- gap and convergence on the case study --------------------------------------------------


def test_gap_on_the_revised_us_draft_measures_the_500b_and_the_guarantees(seeded):
    data = seeded.json("gap", "--as-of", "2025-02-21")
    assert data["schema"] == "tracker.gap/v1"
    assert data["parties"] == ["US", "UA"]
    assert data["counts"] == {"open": 20, "agreed": 6, "dropped": 0}
    rows = {r["term"]: r for r in data["open"]}
    assert rows["compensation_amount"]["distance"] == {
        "kind": "money", "amount": "500000000000", "currency": "USD", "text": "$500 billion",
    }
    assert rows["security_guarantees"]["distance"] == {
        "kind": "rank", "amount": "2", "ranking_of": "US", "steps": 2, "text": "2 ranks apart (of 2, US's ranking)",
    }
    assert rows["fund.us_financial_interest"]["distance"]["text"] == "100 pp"  # 100% against nothing
    assert rows["revenue_recipient"]["distance"] is None  # unranked choices: side by side
    assert rows["revenue_recipient"]["positions"]["US"]["text"] == "us_owned_fund"
    assert rows["revenue_recipient"]["positions"]["UA"]["text"] == "us"
    assert "revenue_share" not in rows


def test_gap_convergence_from_the_first_us_draft_to_the_joint_text(seeded):
    conv = seeded.json("gap")["convergence"]
    assert [(c["date"], c["drafts"], c["agreed"], c["open"], c["share"], c["known"]) for c in conv] == [
        ("2025-02-12", ["us-initial"], 0, 15, 0.0, False),
        ("2025-02-14", ["kyiv-amendments"], 11, 7, 0.6111, True),
        ("2025-02-21", ["us-revised"], 6, 20, 0.2308, True),
        ("2025-02-25", ["fund-framework"], 13, 0, 1.0, True),
    ]
    assert {k: d["text"] for k, d in conv[1]["distances"].items()} == {
        "compensation_amount": "$500 billion",
        "management_model": "1 rank apart (of 1, UA's ranking)",
        "security_guarantees": "2 ranks apart (of 2, US's ranking)",
    }
    assert conv[2]["distances"]["compensation_amount"]["amount"] == "500000000000"
    assert conv[3]["distances"] == {}


def test_gap_now_has_no_open_terms(seeded):
    result = seeded.ok("gap", "US", "Kyiv")
    assert result.stdout.startswith("Gap between United States (US) and Ukraine (UA) now: 0 open, 13 agreed, 18 dropped by both\n")
    assert "No open terms." in result.stdout
    assert "2025-02-14  kyiv-amendments  11      7     61%" in result.stdout


# --- blame ----------------------------------------------------------------------------------------


def test_blame_on_the_joint_text_credits_each_value_where_it_first_appeared(seeded):
    data = seeded.json("blame", "fund-framework")
    assert data["schema"] == "tracker.blame/v1"
    assert data["draft"]["id"] == "fund-framework"
    terms = _terms(data)
    assert (terms["revenue_share"]["from"]["id"], terms["revenue_share"]["pushed_by"], terms["revenue_share"]["basis"]) == (
        "us-initial", ["US"], "author")
    assert terms["revenue_share"]["from"]["date"] == "2025-02-12"
    assert [s["source"] for s in terms["revenue_share"]["sources"]] == ["bloomberg-2025-02-15", "seed-004-bloomberg", "telegraph-2025-02-17"]
    assert terms["revenue_share"]["sources"][0]["quote"] == "sought to secure 50% of the income from license sales and other proceeds"
    # Dropping the $500B was first proposed by Kyiv; the joint text took it up.
    assert (terms["compensation_amount"]["from"]["id"], terms["compensation_amount"]["pushed_by"]) == ("kyiv-amendments", ["UA"])
    assert (terms["management_model"]["from"]["id"], terms["management_model"]["pushed_by"]) == ("kyiv-amendments", ["UA"])
    assert (terms["security_guarantees"]["from"]["id"], terms["security_guarantees"]["pushed_by"]) == ("fund-framework", ["US", "UA"])


def test_blame_follows_a_rename_back_to_the_draft_that_first_set_the_value(deal):
    terms = _terms(deal.json("blame", "d5"))
    assert terms["exclusivity"]["from"] == {"id": "d1", "seq": 1, "date": "2025-03-01", "tabled_by": ["A"], "key": "no_shop"}
    assert (terms["x"]["from"]["id"], terms["x"]["pushed_by"], terms["x"]["basis"]) == ("d2", ["B"], "author")
    assert terms["x"]["sources"] == [{"source": "memo", "outlet": "Internal memo", "quote": "five per cent", "url": "https://example.org/memo"}]
    assert (terms["y"]["from"]["id"], terms["y"]["pushed_by"]) == ("d1", ["A"])  # $5M → $6M → $5M
    assert (terms["z"]["from"]["id"], terms["z"]["pushed_by"]) == ("d5", ["A", "B"])
    assert (terms["w"]["basis"], terms["w"]["pushed_by"], terms["w"]["evidence"]) == ("explicit", ["A"], "A's letter of 8 March")
    assert terms["w"]["sources"] == [{"source": "letter", "outlet": "Letter from A", "quote": "we insist on w", "date": "2025-03-08"}]
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
    assert line.split() == ["exclusivity", "45", "days", "d1", "(v1)", "as", "no_shop", "2025-03-01", "A", "(author)"]
    assert "  w: A's letter of 8 March" in out


# --- history ----------------------------------------------------------------------------------


def test_history_walks_every_branch_in_date_order_with_who_pushed_each_change(deal):
    data = deal.json("history", "x")
    assert data["schema"] == "tracker.history/v1"
    rows = [(d["id"], d["tabled_by"], d["event"], d["text"], d["attribution"] and (d["attribution"]["pushed_by"], d["attribution"]["basis"]))
            for d in data["drafts"]]
    assert rows == [
        ("d1", ["A"], "added", "10%", (["A"], "author")),
        ("d2", ["B"], "changed", "5%", (["B"], "author")),
        ("d2b", ["A"], "changed", "5%", (["B"], "adopted")),
        ("d3", ["A"], "changed", "7%", (["A"], "author")),
        ("d4", ["A"], "changed", "5%", (["B"], "adopted")),
        ("d5", ["A", "B"], "unchanged", "5%", None),
    ]
    assert data["drafts"][0]["sources"] == [{"source": "memo", "outlet": "Internal memo", "quote": "ten per cent", "url": "https://example.org/memo"}]


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
    rows = [(d["id"], d["event"], d["text"]) for d in deal.json("history", "z")["drafts"]]
    assert rows == [
        ("d1", "added", "[p, q]"), ("d2", "dropped", None), ("d2b", "unchanged", "[p, q]"),
        ("d3", "absent", None), ("d4", "absent", None), ("d5", "added", "[p]"),
    ]


def test_history_of_the_500b_shows_it_going_back_and_forth_with_quotes(seeded):
    data = seeded.json("history", "compensation_amount")
    assert [(d["id"], d["event"], d["text"], d["confidence"]) for d in data["drafts"]] == [
        ("us-initial", "added", "$500 billion", "disputed"),
        ("kyiv-amendments", "changed", "none", "reported"),
        ("us-revised", "changed", "$500 billion", "confirmed"),
        ("fund-framework", "changed", "none", "confirmed"),
    ]
    assert data["drafts"][3]["attribution"]["pushed_by"] == ["UA"]
    assert data["drafts"][3]["attribution"]["adopted_from"] == "kyiv-amendments"
    assert data["drafts"][0]["reports"] == [{"value": {"type": "none"}, "sources": [
        {"source": "kyiv-independent-2025-02-22", "quote": "was not listed in the original proposal presented ... on Feb. 12"}],
        "note": data["drafts"][0]["reports"][0]["note"]}]
    text = seeded.ok("history", "compensation_amount").stdout
    assert "  us-initial [telegraph-2025-02-17, The Telegraph (via LIGA.net)]: “$500 billion payback”" in text
    assert "  us-initial: disputed; also reported: none (kyiv-independent-2025-02-22)" in text


# --- positions and gap on the small deal (renames, pushes, as-of) ---------------------------------


def test_positions_as_of_dates_move_with_each_draft(deal):
    counts = {day: deal.json("positions", "--as-of", day)["counts"] for day in ("2025-02-28", "2025-03-01", "2025-03-04", "2025-03-05")}
    assert counts == {
        "2025-02-28": {"agreed": 0, "open": 0, "dropped": 0},
        "2025-03-01": {"agreed": 0, "open": 5, "dropped": 0},
        "2025-03-04": {"agreed": 2, "open": 3, "dropped": 0},
        "2025-03-05": {"agreed": 2, "open": 3, "dropped": 1},
    }


def test_a_renamed_term_is_one_position_not_a_drop_and_an_add(deal):
    terms = _terms(deal.json("positions", "--as-of", "2025-03-03"))
    assert "no_shop" not in terms
    assert terms["exclusivity"]["aliases"] == ["no_shop"]
    assert terms["exclusivity"]["status"] == "agreed"
    assert _pos(terms["exclusivity"], "A") == ("45 days", "d1", "tabled")


def test_a_term_pushed_by_a_party_in_the_others_draft_is_its_position(deal):
    terms = _terms(deal.json("positions", "--as-of", "2025-03-05"))
    assert _pos(terms["v"], "B") == ("3 days", "d3", "pushed")  # B's own latest draft is d2
    assert terms["v"]["status"] == "agreed"
    assert _pos(terms["x"], "B") == ("5%", "d2", "tabled")
    assert terms["z"]["status"] == "dropped"


def test_gap_between_named_parties_with_typed_distances(deal):
    data = deal.json("gap", "Beta", "a", "--as-of", "2025-03-05")
    assert data["parties"] == ["B", "A"]
    assert {r["term"]: r["distance"]["text"] for r in data["open"]} == {
        "tier": "1 rank apart (of 2, B's ranking)", "x": "2 pp", "y": "$1 million",
    }
    assert [(c["date"], c["share"]) for c in data["convergence"]] == [
        ("2025-03-01", 0.0), ("2025-03-03", 0.2), ("2025-03-04", 0.4), ("2025-03-05", 0.4),
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
        (["blame", "v9"], 4, "unknown draft 'v9' (versions run v1..v4)"),
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

def test_seed_then_log_lists_the_four_case_study_drafts(seeded):
    data = seeded.json("log")
    assert [d["id"] for d in data["drafts"]] == ["us-initial", "kyiv-amendments", "us-revised", "fund-framework"]

def test_decoy():
    assert False, "collected outside the project's testpaths"

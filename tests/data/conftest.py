"""Golden projects and fixtures live here as data: pytest must not collect them."""

collect_ignore_glob = ["*"]

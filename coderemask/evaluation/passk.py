"""pass@k with the unbiased estimator of Chen et al. (2021), "Evaluating Large Language Models
Trained on Code":

    pass@k = E_tasks[ 1 - C(n - c, k) / C(n, k) ]

for n samples per task of which c pass, k <= n. Computed as a running product, which is exact
in floating point for the n used here and never forms huge binomials.
"""

from __future__ import annotations

from typing import Sequence

from coderemask.errors import ConfigError


def pass_at_k(n: int, c: int, k: int) -> float:
    """The probability that at least one of k samples drawn without replacement from n, of which
    c pass, passes. ConfigError when k > n or the counts are impossible."""
    if not (0 <= c <= n) or n < 1:
        raise ConfigError(f"pass@k: c={c} passing of n={n} samples is impossible")
    if not 1 <= k <= n:
        raise ConfigError(f"pass@{k}: k must be in [1, n={n}] (samples per task)")
    if n - c < k:
        return 1.0
    fail_all = 1.0
    for i in range(n - c + 1, n + 1):  # C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k / i)
        fail_all *= 1.0 - k / i
    return 1.0 - fail_all


def mean_pass_at_k(counts: Sequence[tuple[int, int]], k: int) -> float:
    """Mean pass@k over tasks given (n, c) per task; 0.0 for no tasks."""
    if not counts:
        return 0.0
    return sum(pass_at_k(n, c, k) for n, c in counts) / len(counts)

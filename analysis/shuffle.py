"""Uniform dinucleotide shuffles of one-hot sequences.

The shuffle keeps every dinucleotide count and the first base of the sequence
(and therefore the last base too) and draws **uniformly** from all sequences
that do so. It is the Altschul & Erickson (1985) Euler-path construction in the
form of Kandel et al. (1996) / uShuffle (Jiang et al. 2008):

1. Build the multigraph with one edge ``s[k] -> s[k+1]`` per dinucleotide.
2. Draw the *last-exit* edge of every vertex except the last base as a uniform
   random spanning arborescence oriented towards the last base, weighted by
   edge multiplicities (Wilson's loop-erased random walk; each step leaves a
   vertex through one of its out-edges chosen uniformly).
3. Put the remaining out-edges of every vertex in uniformly random order,
   followed by its last-exit edge.
4. Walk from the first base, always taking the next unused edge.

By the BEST theorem every labelled Euler path arises from exactly one
(arborescence, orders) draw, so labelled Euler paths are uniform, and since
every distinct sequence corresponds to the same number of labelled paths
(the product of the factorials of the dinucleotide counts), so are the
shuffled sequences. The common implementations that keep the *original*
last-exit edges (deeplift's, tangermeme's) only reach a subset of the valid
shuffles, e.g. 9 of the 27 for ``ACCCACGATGATG``.

The kernel is compiled with numba; random numbers come from a splitmix64
stream seeded per shuffle from ``random_state``, so results are reproducible
and independent of how the work is split.
"""
from __future__ import annotations

import numba
import numpy as np

from analysis._validate import as_array, check_int, check_random_state
from simulate.errors import InputError

__all__ = ["dinucleotide_shuffle"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@numba.njit(cache=True)
def _randbelow(state, k):
    """Uniform integer in [0, k) from a splitmix64 stream held in ``state[0]``."""
    z = state[0] + _GOLDEN
    state[0] = z
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    z = z ^ (z >> _S31)
    r = int(float(z >> _S11) * _INV53 * k)
    if r >= k:  # guard against rounding up at the top of the range
        r = k - 1
    return r


@numba.njit(cache=True)
def _to_index(x, idx):
    """One-hot (N, L, 4) -> base indices (N, L) int8; returns the first bad (n, l) or (-1, -1)."""
    N, L, A = x.shape
    for s in range(N):
        for p in range(L):
            hot = -1
            n_one = 0
            bad = False
            for a in range(A):
                v = x[s, p, a]
                if v == 1:
                    hot = a
                    n_one += 1
                elif v != 0:
                    bad = True
            if bad or n_one != 1:
                return s, p
            idx[s, p] = hot
    return -1, -1


@numba.njit(cache=True)
def _shuffle_kernel(idx, n, seeds, out):
    """Write ``n`` uniform dinucleotide shuffles of each row of ``idx`` into ``out``.

    idx : (N, L) int8 base indices; seeds : (N * n,) uint64; out : (N, n, L, 4), zeroed.
    """
    N, L = idx.shape
    counts = np.zeros((4, 4), np.int64)
    outdeg = np.zeros(4, np.int64)
    succ = np.zeros((4, max(L, 1)), np.int8)
    pos = np.zeros(4, np.int64)
    nxt = np.zeros(4, np.int64)
    intree = np.zeros(4, np.bool_)
    state = np.zeros(1, np.uint64)
    for s in range(N):
        if L == 0:
            continue
        counts[:, :] = 0
        outdeg[:] = 0
        for k in range(L - 1):
            counts[idx[s, k], idx[s, k + 1]] += 1
            outdeg[idx[s, k]] += 1
        first = idx[s, 0]
        last = idx[s, L - 1]
        for r in range(n):
            state[0] = seeds[s * n + r]
            # 1. uniform random arborescence towards `last` (Wilson's algorithm)
            for v in range(4):
                intree[v] = outdeg[v] == 0 or v == last
            for v in range(4):
                u = v
                while not intree[u]:
                    t = _randbelow(state, outdeg[u])
                    w = 0
                    while t >= counts[u, w]:
                        t -= counts[u, w]
                        w += 1
                    nxt[u] = w
                    u = w
                u = v
                while not intree[u]:
                    intree[u] = True
                    u = nxt[u]
            # 2. remaining out-edges of each vertex in uniform random order, last-exit edge last
            for v in range(4):
                has_last = v != last and outdeg[v] > 0
                m = 0
                for w in range(4):
                    c = counts[v, w]
                    if has_last and w == nxt[v]:
                        c -= 1
                    for _ in range(c):
                        succ[v, m] = w
                        m += 1
                for a in range(m - 1, 0, -1):  # Fisher-Yates
                    b = _randbelow(state, a + 1)
                    tmp = succ[v, a]
                    succ[v, a] = succ[v, b]
                    succ[v, b] = tmp
                if has_last:
                    succ[v, m] = nxt[v]
                pos[v] = 0
            # 3. walk the Euler path
            u = first
            out[s, r, 0, u] = 1
            for k in range(1, L):
                w = succ[u, pos[u]]
                pos[u] += 1
                out[s, r, k, w] = 1
                u = w


def dinucleotide_shuffle(x, n: int = 1, random_state=None) -> np.ndarray:
    """Uniformly random dinucleotide-preserving shuffles of one-hot sequences.

    Each shuffle has exactly the dinucleotide counts and the first (hence also
    the last) base of its source sequence and is drawn uniformly from all
    sequences that share them (see the module docstring for the algorithm).

    Parameters
    ----------
    x : array_like, shape (N, L, 4) or (L, 4)
        One-hot sequences, channels last in A, C, G, T order; any bool, int or
        float dtype. Every position must be exactly one-hot (one entry equal
        to 1, the others 0): all-zero ("N") positions and soft encodings are
        rejected with :class:`~simulate.errors.InputError`.
    n : int, default 1
        Number of shuffles per sequence (``n >= 1``).
    random_state : None, int or numpy.random.RandomState
        Seed or generator (via :func:`sklearn.utils.check_random_state`);
        the same seed gives the same shuffles.

    Returns
    -------
    numpy.ndarray, shape (N, n, L, 4) — or (n, L, 4) for a single (L, 4) input
        Shuffled one-hot sequences, same dtype as ``x``. Sequences of length
        0, 1 or 2 have a single valid shuffle: themselves.

    Raises
    ------
    InputError
        Wrong shape, non-numeric dtype, non-one-hot position, ``n < 1``.
    """
    n = check_int(n, "n", minimum=1)
    x = as_array(x, "x", (2, 3))
    single = x.ndim == 2
    if single:
        x = x[None]
    if x.shape[-1] != 4:
        raise InputError(f"x must be one-hot with 4 channels (A, C, G, T) last, got shape {x.shape}")
    rs = check_random_state(random_state)
    N, L, _ = x.shape
    xc = np.ascontiguousarray(x)
    if xc.dtype == np.bool_:
        xc = xc.view(np.uint8)
    idx = np.empty((N, L), dtype=np.int8)
    bad_s, bad_p = _to_index(xc, idx)
    if bad_s >= 0:
        where = f"position {bad_p}" if single else f"sequence {bad_s}, position {bad_p}"
        raise InputError(f"x is not one-hot at {where}: {x[bad_s, bad_p].tolist()}")
    seeds = rs.randint(0, np.iinfo(np.int64).max, size=N * n, dtype=np.int64).astype(np.uint64)
    out = np.zeros((N, n, L, 4), dtype=x.dtype)
    view = out.view(np.uint8) if out.dtype == np.bool_ else out
    _shuffle_kernel(idx, n, seeds, view)
    return out[0] if single else out

"""The engine's core: best-deal promotions, discount allocation, taxes and totals.

Written in Cython's pure-Python mode: ``make build`` compiles this file, and
``shared.pricing.pure`` runs it as is. The algorithm is described in ``docs/pricing.md``.

Outline of ``Engine.price``:

1. Each line's effective price, base and units; each unit's *fallback*, its best
   ``percent_off`` discount (a percent-off bundle is a single unit).
2. Units alike in price, fallback and the multi-unit promotions that may take them are one
   *unit type*; types linked by a multi-unit promotion form a *component*.
3. Each component is solved on its own: choose bundles maximising the total *gain*, a
   bundle's discount minus the fallbacks of its units. A lone ``mix_match`` is solved in
   closed form; otherwise a memoised search over per-type counts proves the optimum.
4. Bundles are turned into per-line discounts, then the basket promotion, taxes, totals.
"""
import array

import cython

from . import request as rq

COMPILED: bool = cython.compiled

_MIX: cython.longlong = rq.KIND_MIX
_BXGY: cython.longlong = rq.KIND_BXGY
_PERCENT_FULL: cython.longlong = rq.PERCENT_FULL
# Components of at most this many units are always searched to the end (the contract asks
# for a proven optimum up to 12 units).
ALWAYS_EXACT_UNITS = 12
# Beyond that, the search may examine this many candidate bundles (the benchmark
# workloads need at most a few dozen per component) before it settles for the greedy answer
# and reports ``optimal: false``.
SEARCH_BUDGET = 50_000
# Searches deeper than this would outgrow the interpreted form's recursion limit.
MAX_SEARCH_UNITS = 400
# Candidates per promotion a greedy round examines: enumeration starts from the priciest
# free units, so the first few candidates are the valuable ones, and a round stays linear.
GREEDY_CANDIDATES = 4


@cython.cfunc
@cython.inline
@cython.exceptval(check=False)
def _round_ratio(a: cython.longlong, num: cython.longlong, den: cython.longlong,
                 half_even: cython.bint) -> cython.longlong:
    """R(a * num / den), exact whenever a * num / den and num * den fit in 64 bits.

    Splitting ``a`` by ``den`` keeps every intermediate product in range, so amounts of
    10^17 times rates in 1/10,000ths of a percent (10^23 in all) need no wider type.
    """
    q: cython.longlong = a // den
    t: cython.longlong = (a % den) * num
    q = q * num + t // den
    twice: cython.longlong = 2 * (t % den)
    if twice > den or (twice == den and (not half_even or q % 2 == 1)):
        q += 1
    return q


def largest_remainder(amount, weights):
    """Split ``amount`` in proportion to ``weights``: floors, then one cent each to the
    largest remainders, ties to the earlier position. Arbitrary-size integers."""
    total = sum(weights)
    shares = []
    remainders = []
    for position, weight in enumerate(weights):
        share, remainder = divmod(amount * weight, total)
        shares.append(share)
        remainders.append((-remainder, position))
    left = amount - sum(shares)
    if left:
        remainders.sort()
        for _, position in remainders[:left]:
            shares[position] += 1
    return shares


def _new_array(size):
    return array.array("q", bytes(8 * size))


@cython.cclass
class _Component:
    """Unit types linked by multi-unit promotions, and the search for their best bundles.

    State of the search: ``c``, the units of each type still free. Bundles are enumerated as
    count vectors (never as permutations of units), through cursors kept per search depth
    in ``scratch``: ``W`` slots per depth holding the buy/whole-bundle part X and the reward
    part Y as (type, cap, count) lists.
    """

    T: cython.Py_ssize_t
    W: cython.Py_ssize_t
    half_even: cython.bint
    aborted: cython.bint
    steps: cython.longlong
    budget: cython.longlong
    cnt: cython.longlong[:]
    price: cython.longlong[:]
    fb: cython.longlong[:]
    stride: cython.longlong[:]
    c: cython.longlong[:]
    p_kind: cython.longlong[:]
    p_a: cython.longlong[:]
    p_b: cython.longlong[:]
    p_pct: cython.longlong[:]
    main_off: cython.longlong[:]
    main_types: cython.longlong[:]
    rew_off: cython.longlong[:]
    rew_types: cython.longlong[:]
    tp_off: cython.longlong[:]
    tp_promos: cython.longlong[:]
    scratch: cython.longlong[:]
    memo: dict
    promo_ids: list
    type_ids: list

    def __init__(self, type_ids, promo_ids, types, promos, half_even):
        """``types``: per type (count, unit price, fallback); ``promos``: per promotion
        (kind, a, b, percent, main type positions, reward type positions)."""
        T: cython.Py_ssize_t = len(types)
        self.T = T
        self.W = 6 * T + 2
        self.half_even = half_even
        self.type_ids = type_ids
        self.promo_ids = promo_ids
        self.cnt = _new_array(T)
        self.price = _new_array(T)
        self.fb = _new_array(T)
        self.c = _new_array(T)
        for t in range(T):
            self.cnt[t], self.price[t], self.fb[t] = types[t]
            self.c[t] = self.cnt[t]
        M = len(promos)
        self.p_kind, self.p_a, self.p_b, self.p_pct = (_new_array(M), _new_array(M),
                                                      _new_array(M), _new_array(M))
        self.main_off, self.rew_off = _new_array(M + 1), _new_array(M + 1)
        mains, rewards = [], []
        belongs = [[] for _ in range(T)]
        for m in range(M):
            kind, a, b, pct, main, reward = promos[m]
            self.p_kind[m], self.p_a[m], self.p_b[m], self.p_pct[m] = kind, a, b, pct
            mains.extend(main)
            rewards.extend(reward)
            self.main_off[m + 1] = len(mains)
            self.rew_off[m + 1] = len(rewards)
            for t in sorted(set(main) | set(reward)):
                belongs[t].append(m)
        self.main_types = array.array("q", mains)
        self.rew_types = array.array("q", rewards)
        self.tp_off = _new_array(T + 1)
        flat = []
        for t in range(T):
            flat.extend(belongs[t])
            self.tp_off[t + 1] = len(flat)
        self.tp_promos = array.array("q", flat)

    def units(self):
        total = 0
        for t in range(self.T):
            total += self.cnt[t]
        return total

    def state_space(self):
        """Number of distinct count vectors: the memo's key space."""
        size = 1
        for t in range(self.T):
            size *= self.cnt[t] + 1
        return size

    # -- bounded compositions: count vectors over a list of (type, cap) with a fixed total --

    @cython.cfunc
    @cython.exceptval(check=False)
    def _comp_first(self, at: cython.Py_ssize_t, k: cython.Py_ssize_t,
                    total: cython.longlong, must_first: cython.bint) -> cython.bint:
        s: cython.longlong[:] = self.scratch
        rem: cython.longlong = total
        j: cython.Py_ssize_t
        for j in range(k):
            v: cython.longlong = min(s[at + self.T + j], rem)
            s[at + 2 * self.T + j] = v
            rem -= v
        return rem == 0 and (not must_first or (k > 0 and s[at + 2 * self.T] > 0))

    @cython.cfunc
    @cython.exceptval(check=False)
    def _comp_next(self, at: cython.Py_ssize_t, k: cython.Py_ssize_t,
                   must_first: cython.bint) -> cython.bint:
        """Next count vector in descending lexicographic order; False when exhausted."""
        s: cython.longlong[:] = self.scratch
        T: cython.Py_ssize_t = self.T
        tail_val: cython.longlong = 0
        tail_cap: cython.longlong = 0
        j: cython.Py_ssize_t = k - 1
        while j >= 0:
            v: cython.longlong = s[at + 2 * T + j]
            if j < k - 1 and v > 0 and tail_cap > tail_val:
                s[at + 2 * T + j] = v - 1
                rem: cython.longlong = tail_val + 1
                for after in range(j + 1, k):
                    put: cython.longlong = min(s[at + T + after], rem)
                    s[at + 2 * T + after] = put
                    rem -= put
                return not must_first or s[at + 2 * T] > 0
            tail_val += v
            tail_cap += s[at + T + j]
            j -= 1
        return False

    # -- candidate bundles of one promotion: a cursor per search depth ----------------------

    @cython.cfunc
    @cython.exceptval(check=False)
    def _list_x(self, m: cython.Py_ssize_t, base: cython.Py_ssize_t) -> cython.Py_ssize_t:
        """Fill the X list with the promotion's main types that have free units."""
        s: cython.longlong[:] = self.scratch
        k: cython.Py_ssize_t = 0
        for j in range(self.main_off[m], self.main_off[m + 1]):
            t: cython.longlong = self.main_types[j]
            if self.c[t] > 0:
                s[base + k] = t
                s[base + self.T + k] = self.c[t]
                k += 1
        s[base + 6 * self.T] = k
        s[base + 6 * self.T + 1] = 0  # no reward part until _list_y makes one
        return k

    @cython.cfunc
    @cython.exceptval(check=False)
    def _list_y(self, m: cython.Py_ssize_t, base: cython.Py_ssize_t,
                i: cython.Py_ssize_t) -> cython.bint:
        """Fill the Y (reward) list for the current X; set its first composition."""
        s: cython.longlong[:] = self.scratch
        T: cython.Py_ssize_t = self.T
        kx: cython.Py_ssize_t = s[base + 6 * T]
        lowest: cython.longlong = -1
        has_i: cython.bint = False
        j: cython.Py_ssize_t
        # Take X's units out of c while listing the rewards, so "free" is simply c[t].
        for j in range(kx):
            n: cython.longlong = s[base + 2 * T + j]
            if n > 0:
                t: cython.longlong = s[base + j]
                self.c[t] -= n
                if lowest < 0 or self.price[t] < lowest:
                    lowest = self.price[t]
                if t == i:
                    has_i = True
        at: cython.Py_ssize_t = base + 3 * T
        k: cython.Py_ssize_t = 0
        for j in range(self.rew_off[m], self.rew_off[m + 1]):
            t = self.rew_types[j]
            if self.price[t] <= lowest and self.c[t] > 0:
                s[at + k] = t
                s[at + T + k] = self.c[t]
                k += 1
        for j in range(kx):
            self.c[s[base + j]] += s[base + 2 * T + j]
        s[base + 6 * T + 1] = k
        must: cython.bint = i >= 0 and not has_i
        if must and (k == 0 or s[at] != i):
            return False
        return self._comp_first(at, k, self.p_b[m], must)

    @cython.cfunc
    @cython.exceptval(check=False)
    def _y_must(self, base: cython.Py_ssize_t, i: cython.Py_ssize_t) -> cython.bint:
        """Whether Y has to hold a unit of type i (X holds none)."""
        if i < 0:
            return False
        s: cython.longlong[:] = self.scratch
        return not (s[base + 6 * self.T] > 0 and s[base] == i and s[base + 2 * self.T] > 0)

    @cython.cfunc
    @cython.exceptval(check=False)
    def _gain(self, m: cython.Py_ssize_t, base: cython.Py_ssize_t) -> cython.longlong:
        """Gain of the cursor's bundle: its discount minus its units' fallbacks."""
        s: cython.longlong[:] = self.scratch
        T: cython.Py_ssize_t = self.T
        kx: cython.Py_ssize_t = s[base + 6 * T]
        lost: cython.longlong = 0
        total: cython.longlong = 0
        j: cython.Py_ssize_t
        for j in range(kx):
            n: cython.longlong = s[base + 2 * T + j]
            t: cython.longlong = s[base + j]
            lost += n * self.fb[t]
            total += n * self.price[t]
        self.steps += 1
        if self.p_kind[m] == _MIX:
            return total - self.p_b[m] - lost
        ky: cython.Py_ssize_t = s[base + 6 * T + 1]
        total = 0
        for j in range(ky):
            n = s[base + 5 * T + j]
            t = s[base + 3 * T + j]
            lost += n * self.fb[t]
            total += n * self.price[t]
        return _round_ratio(total, self.p_pct[m], _PERCENT_FULL, self.half_even) - lost

    @cython.cfunc
    @cython.exceptval(check=False)
    def _step(self, m: cython.Py_ssize_t, i: cython.Py_ssize_t, base: cython.Py_ssize_t,
              first: cython.bint) -> cython.longlong:
        """Move the cursor to the next bundle with a positive gain and return that gain;
        -1 when there is none. With ``i >= 0`` only bundles holding a type-i unit count."""
        s: cython.longlong[:] = self.scratch
        mix: cython.bint = self.p_kind[m] == _MIX
        must_x: cython.bint = mix and i >= 0
        ok: cython.bint
        if first:
            kx: cython.Py_ssize_t = self._list_x(m, base)
            if must_x and (kx == 0 or s[base] != i):
                return -1
            ok = self._comp_first(base, kx, self.p_a[m], must_x)
            if ok and not mix:
                ok = self._list_y(m, base, i) or self._next_x(m, base, i)
        else:
            ok = self._advance(m, base, i, mix, must_x)
        while ok:
            if self.budget > 0 and self.steps >= self.budget:
                self.aborted = True
                return -1
            g: cython.longlong = self._gain(m, base)
            if g > 0:
                return g
            ok = self._advance(m, base, i, mix, must_x)
        return -1

    @cython.cfunc
    @cython.exceptval(check=False)
    def _advance(self, m: cython.Py_ssize_t, base: cython.Py_ssize_t, i: cython.Py_ssize_t,
                 mix: cython.bint, must_x: cython.bint) -> cython.bint:
        T: cython.Py_ssize_t = self.T
        if mix:
            return self._comp_next(base, self.scratch[base + 6 * T], must_x)
        if self._comp_next(base + 3 * T, self.scratch[base + 6 * T + 1], self._y_must(base, i)):
            return True
        return self._next_x(m, base, i)

    @cython.cfunc
    @cython.exceptval(check=False)
    def _next_x(self, m: cython.Py_ssize_t, base: cython.Py_ssize_t,
                i: cython.Py_ssize_t) -> cython.bint:
        """Next buy part X that admits at least one reward part Y."""
        while self._comp_next(base, self.scratch[base + 6 * self.T], False):
            if self._list_y(m, base, i):
                return True
        return False

    @cython.cfunc
    @cython.exceptval(check=False)
    def _take(self, base: cython.Py_ssize_t, sign: cython.longlong) -> cython.longlong:
        """Remove (sign -1) or return (+1) the cursor's units; the change of the memo key."""
        s: cython.longlong[:] = self.scratch
        T: cython.Py_ssize_t = self.T
        delta: cython.longlong = 0
        part: cython.Py_ssize_t
        j: cython.Py_ssize_t
        for part in range(2):
            at: cython.Py_ssize_t = base + 3 * T * part
            for j in range(s[base + 6 * T + part]):
                t: cython.longlong = s[at + j]
                n: cython.longlong = s[at + 2 * T + j]
                self.c[t] += sign * n
                delta += sign * n * self.stride[t]
        return delta

    def _parts(self, m, base):
        """The cursor's bundle: its main part and reward part as (type, count) lists."""
        T = self.T
        s = self.scratch
        parts = ([], [])
        for part in range(2 if self.p_kind[m] != _MIX else 1):
            at = base + 3 * T * part
            for j in range(s[base + 6 * T + part]):
                if s[at + 2 * T + j]:
                    parts[part].append((s[at + j], s[at + 2 * T + j]))
        return parts

    def _bundle(self, m, parts):
        """A bundle as recorded: (promotion index, main part, reward part) of (type, count)."""
        main, reward = parts
        return (self.promo_ids[m], tuple((self.type_ids[t], n) for t, n in main),
                tuple((self.type_ids[t], n) for t, n in reward))

    # -- exact search -------------------------------------------------------------------

    @cython.cfunc
    @cython.exceptval(-1, check=True)
    def _best(self, key: cython.longlong, depth: cython.Py_ssize_t) -> cython.longlong:
        """Largest gain obtainable from the free units ``c`` (whose memo key is ``key``)."""
        if self.aborted:
            return 0
        known = self.memo.get(key)
        if known is not None:
            return known
        T: cython.Py_ssize_t = self.T
        i: cython.Py_ssize_t = 0
        while i < T and self.c[i] == 0:
            i += 1
        if i == T:
            return 0
        # Either no further unit of type i joins a bundle ...
        ci: cython.longlong = self.c[i]
        self.c[i] = 0
        best: cython.longlong = self._best(key - ci * self.stride[i], depth + 1)
        self.c[i] = ci
        # ... or one of the bundles holding a type-i unit is formed.
        base: cython.Py_ssize_t = depth * self.W
        for j in range(self.tp_off[i], self.tp_off[i + 1]):
            m: cython.Py_ssize_t = self.tp_promos[j]
            g: cython.longlong = self._step(m, i, base, True)
            while g >= 0:
                delta: cython.longlong = self._take(base, -1)
                v: cython.longlong = g + self._best(key + delta, depth + 1)
                self._take(base, 1)
                if v > best:
                    best = v
                g = self._step(m, i, base, False)
        if not self.aborted:
            self.memo[key] = best
        return best

    def solve_exact(self, budget):
        """Prove the best bundles; None if the budget ran out first."""
        T = self.T
        self.stride = _new_array(T)
        size = 1
        for t in range(T):
            self.stride[t] = size
            size *= self.cnt[t] + 1
        units = self.units()
        self.scratch = _new_array((units + 2) * self.W)
        self.memo = {}
        self.budget = budget
        self.steps = 0
        self.aborted = False
        key = size - 1
        target = self._best(key, 0)
        if self.aborted:
            return None
        bundles = []
        while target > 0:
            i = 0
            while self.c[i] == 0:
                i += 1
            ci = self.c[i]
            self.c[i] = 0
            if self._best(key - ci * self.stride[i], 1) == target:
                key -= ci * self.stride[i]
                continue
            self.c[i] = ci
            found = False
            for j in range(self.tp_off[i], self.tp_off[i + 1]):
                m = self.tp_promos[j]
                g = self._step(m, i, 0, True)
                while g >= 0 and not found:
                    delta = self._take(0, -1)
                    if g + self._best(key + delta, 1) == target:
                        bundles.append(self._bundle(m, self._parts(m, 0)))
                        key += delta
                        target -= g
                        found = True
                    else:
                        self._take(0, 1)
                        g = self._step(m, i, 0, False)
                if found:
                    break
        return bundles

    # -- when the search cannot finish ----------------------------------------------------

    def solve_greedy(self):
        """Repeatedly form the best of the first candidate bundles of each promotion.

        Not proven optimal; a round costs O(promotions x types), so even a 1000-line basket
        is priced in milliseconds."""
        for t in range(self.T):
            self.c[t] = self.cnt[t]
        self.scratch = _new_array(2 * self.W)
        self.stride = _new_array(self.T)
        bundles = []
        while True:
            best_gain, best = 0, None
            for m in range(len(self.promo_ids)):
                self.steps = 0
                self.budget = GREEDY_CANDIDATES
                self.aborted = False
                g = self._step(m, -1, 0, True)
                while g >= 0:
                    if g > best_gain:
                        best_gain, best = g, (m, self._parts(m, 0))
                    g = self._step(m, -1, 0, False)
            if best is None:
                return bundles
            m, parts = best
            bundles.append(self._bundle(m, parts))
            for part in parts:
                for t, n in part:
                    self.c[t] -= n

    def solve_lone_mix(self):
        """A component whose only promotion is a mix_match, in closed form.

        A bundle's gain is the sum of its units' (price - fallback) minus the promotion
        price, so the best k bundles use the k * qty units of largest (price - fallback),
        and chunks of qty taken in that order have decreasing gains: form them while the
        gain stays positive.
        """
        qty, price = self.p_a[0], self.p_b[0]
        order = sorted(range(self.T), key=lambda t: (self.fb[t] - self.price[t], t))
        free = [self.cnt[t] for t in range(self.T)]
        bundles = []
        at = 0
        while True:
            need, gain, parts = qty, -price, []
            for t in order[at:]:
                take = min(free[t], need)
                if take:
                    parts.append((t, take))
                    gain += take * (self.price[t] - self.fb[t])
                    need -= take
                if not need:
                    break
            if need or gain <= 0:
                return bundles
            for t, take in parts:
                free[t] -= take
            while at < self.T and not free[order[at]]:
                at += 1
            bundles.append(self._bundle(0, (sorted(parts), ())))


class _UnitType:
    """Units alike for the best-deal search: same price, fallback and multi-unit promotions."""

    __slots__ = ("price", "fallback", "fallback_promo", "main", "reward", "lines", "count")

    def __init__(self, price, fallback, fallback_promo, main, reward):
        self.price = price
        self.fallback = fallback
        self.fallback_promo = fallback_promo
        self.main = main
        self.reward = reward
        self.lines = []  # [line position, units]
        self.count = 0


@cython.cclass
class Engine:
    """The store-wide part of a request, prepared once; ``price`` takes the rest."""

    config: object
    promotions: list
    promo_ids: list
    percents: list
    class_dens: list
    half_even: cython.bint
    _active_cache: dict

    def __init__(self, config):
        self.config = rq.StoreConfig(config)
        self.promotions = self.config.promotions
        self.promo_ids = [promo.id for promo in self.promotions]
        self.percents = [promo.percent for promo in self.promotions]
        # Tax of rate r on amount a is a * r / den: den is 100% (exclusive) or 100% + the
        # class's rates (inclusive), in the same 1/10,000 % units as r.
        inclusive = self.config.tax_mode == 1
        self.class_dens = [_PERCENT_FULL + (rate_sum if inclusive else 0)
                           for rate_sum in self.config.class_rate_sum]
        self.half_even = self.config.half_even
        self._active_cache = {}

    def price(self, basket):
        """Price the basket (``customer``, ``coupons``, ``lines``) under this configuration."""
        member, coupons, lines = rq.read_basket(basket, self.config)
        key = (member, coupons)
        active = self._active_cache.get(key)
        if active is None:
            if len(self._active_cache) > 256:
                self._active_cache.clear()
            active = self._active_cache[key] = self.config.active_mask(member, coupons)
        return self._price(member, lines, active)

    def _price(self, member: cython.bint, lines: list, active):
        cfg = self.config
        half_even: cython.bint = self.half_even
        percent_active = active & cfg.percent_mask
        multi_active = active & cfg.multi_mask
        bxgy_active = active & cfg.bxgy_mask
        main_by_sku: dict = cfg.main_by_sku
        main_by_tag: dict = cfg.main_by_tag
        reward_by_sku: dict = cfg.reward_by_sku
        reward_by_tag: dict = cfg.reward_by_tag
        n: cython.Py_ssize_t = len(lines)
        prices = [0] * n
        bases = [0] * n
        discounts = [None] * n  # per line: {promotion index: amount} once it has one
        applied = {}  # promotion index: [times, discount]
        types = {}
        searched = False
        pos: cython.Py_ssize_t
        for pos in range(n):
            number, sku, unit_price, klass, qty, weight, member_price, tags = lines[pos]
            p: cython.longlong = unit_price
            if member and 0 <= member_price < p:
                p = member_price
            prices[pos] = p
            unit: cython.longlong
            if qty:
                unit = p
                bases[pos] = p * qty
            else:
                unit = _round_ratio(p, weight, 1000, half_even)
                bases[pos] = unit
            main = main_by_sku.get(sku, 0)
            for tag in tags:
                main |= main_by_tag.get(tag, 0)
            fallback: cython.longlong = 0
            fallback_promo = -1
            choices = main & percent_active
            while choices:
                low = choices & -choices
                index = low.bit_length() - 1
                choices ^= low
                d: cython.longlong = _round_ratio(unit, self.percents[index], _PERCENT_FULL,
                                                  half_even)
                if d > fallback:
                    fallback, fallback_promo = d, index
            if not qty:
                if fallback:
                    _add(discounts, applied, pos, fallback_promo, fallback, 1)
                continue
            main &= multi_active
            reward = 0
            if bxgy_active:
                reward = reward_by_sku.get(sku, 0)
                for tag in tags:
                    reward |= reward_by_tag.get(tag, 0)
                reward &= bxgy_active
            if not (main or reward):
                if fallback:
                    _add(discounts, applied, pos, fallback_promo, fallback * qty, qty)
                continue
            type_key = (unit, fallback_promo, main, reward)
            kind = types.get(type_key)
            if kind is None:
                kind = types[type_key] = _UnitType(unit, fallback, fallback_promo, main, reward)
            kind.lines.append([pos, qty])
            kind.count += qty
            searched = True
        optimal = True
        if searched:
            optimal = self._best_deal(list(types.values()), discounts, applied)
        return self._finish(lines, prices, bases, discounts, applied, optimal, active)

    def _best_deal(self, types, discounts, applied):
        """Choose, allocate and record the item-promotion bundles; True if proven best."""
        components = _components(types, self.promotions)
        optimal = True
        for comp_types, comp_promos in components:
            bundles = None
            if comp_promos:
                bundles, exact = _solve(comp_types, comp_promos, self.promotions,
                                        self.half_even)
                optimal = optimal and exact
            for promo_index, main, reward in bundles or ():
                self._record_bundle(promo_index, main, reward, discounts, applied)
            for kind in comp_types:
                if kind.fallback:
                    for pos, free in kind.lines:
                        if free:
                            _add(discounts, applied, pos, kind.fallback_promo,
                                 kind.fallback * free, free)
        return optimal

    def _record_bundle(self, promo_index, main, reward, discounts, applied):
        """Take the bundle's units from their lines and share its discount among them."""
        promo = self.promotions[promo_index]
        carriers = {}  # line position: price of the units carrying the discount
        for part, carries in ((main, promo.kind == _MIX), (reward, True)):
            for kind, count in part:
                for entry in kind.lines:
                    if not count:
                        break
                    take = min(entry[1], count)
                    if take:
                        entry[1] -= take
                        count -= take
                        if carries:
                            carriers[entry[0]] = carriers.get(entry[0], 0) + take * kind.price
        total = sum(carriers.values())
        if promo.kind == _MIX:
            amount = total - promo.price
        else:
            amount = _round_ratio(total, promo.percent, _PERCENT_FULL, self.half_even)
        positions = sorted(carriers)
        shares = largest_remainder(amount, [carriers[pos] for pos in positions])
        for pos, share in zip(positions, shares, strict=True):
            if share:
                _add(discounts, applied, pos, promo_index, share, 0)
        record = applied.setdefault(promo_index, [0, 0])
        record[0] += 1

    def _finish(self, lines, prices, bases, discounts, applied, optimal, active):
        """Basket promotion, nets, taxes, totals and the result document."""
        cfg = self.config
        half_even: cython.bint = self.half_even
        n = len(lines)
        amounts = [bases[pos] - (sum(discounts[pos].values()) if discounts[pos] else 0)
                   for pos in range(n)]
        subtotal = sum(bases)
        after_items = sum(amounts)
        basket_index, basket_amount = self._basket_promotion(after_items, active)
        if basket_index >= 0:
            shares = largest_remainder(basket_amount, amounts)
            for pos in range(n):
                if shares[pos]:
                    _add(discounts, applied, pos, basket_index, shares[pos], 0)
                    amounts[pos] -= shares[pos]
            applied[basket_index][0] = 1
        inclusive = cfg.tax_mode == 1
        per_line = cfg.tax_rounding == 0
        class_rates = cfg.class_rates
        class_dens = self.class_dens
        promo_ids = self.promo_ids
        tax_totals = {}
        class_nets = {}
        out_lines = []
        for pos in range(n):
            number, sku, unit_price, klass, qty, weight, member_price, tags = lines[pos]
            net = amounts[pos]
            line_taxes = []
            if per_line:
                den = class_dens[klass]
                for rate_id, rate in class_rates[klass]:
                    tax = _round_ratio(net, rate, den, half_even)
                    line_taxes.append({"id": rate_id, "amount": tax})
                    tax_totals[rate_id] = tax_totals.get(rate_id, 0) + tax
            else:
                class_nets[klass] = class_nets.get(klass, 0) + net
            line_discounts = discounts[pos]
            out_lines.append({
                "line": number, "sku": sku, "qty": qty or None, "weight_g": weight or None,
                "unit_price": prices[pos], "base": bases[pos],
                "discounts": [{"promotion": promo_ids[index], "amount": line_discounts[index]}
                              for index in sorted(line_discounts)] if line_discounts else [],
                "net": net, "taxes": line_taxes,
            })
        for klass in sorted(class_nets):
            den = class_dens[klass]
            for rate_id, rate in class_rates[klass]:
                tax = _round_ratio(class_nets[klass], rate, den, half_even)
                tax_totals[rate_id] = tax_totals.get(rate_id, 0) + tax
        tax_total = sum(tax_totals.values())
        nets = after_items - basket_amount
        total = nets if inclusive else nets + tax_total
        increment = cfg.cash_increment
        steps, rest = divmod(total, increment)
        cash_total = (steps + (2 * rest >= increment)) * increment
        item_discount = subtotal - after_items
        return {
            "lines": out_lines,
            "subtotal": subtotal,
            "item_discount": item_discount,
            "basket_discount": basket_amount,
            "basket_promotion": promo_ids[basket_index] if basket_index >= 0 else None,
            "applied": [{"promotion": promo_ids[index], "times": applied[index][0],
                         "discount": applied[index][1]} for index in sorted(applied)],
            "taxes": [{"id": rate_id, "amount": tax_totals[rate_id]}
                      for rate_id in sorted(tax_totals)],
            "tax_total": tax_total,
            "total": total,
            "cash_total": cash_total,
            "optimal": optimal,
        }

    def _basket_promotion(self, amount, active):
        """The eligible threshold promotion with the largest discount (ties: smallest id)."""
        best_index, best = -1, 0
        for index, promo in enumerate(self.promotions):
            if promo.kind != rq.KIND_THRESHOLD or not (active >> index) & 1:
                continue
            if amount < promo.min_subtotal:
                continue
            if promo.amount_off is not None:
                discount = min(promo.amount_off, amount)
            else:
                discount = _round_ratio(amount, promo.percent, _PERCENT_FULL, self.half_even)
            if discount > best:
                best_index, best = index, discount
        return best_index, best


def _add(discounts, applied, pos, promo_index, amount, times):
    line = discounts[pos]
    if line is None:
        line = discounts[pos] = {}
    line[promo_index] = line.get(promo_index, 0) + amount
    record = applied.get(promo_index)
    if record is None:
        record = applied[promo_index] = [0, 0]
    record[0] += times
    record[1] += amount


def _bits(mask):
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _components(types, promotions):
    """Group unit types into components linked by the multi-unit promotions that can pay.

    A promotion is left out when no bundle of it could have a positive gain: too few units,
    or (mix_match) even its most valuable units fall short of the bundle price, or
    (buy_x_get_y) no reward could earn a discount.
    """
    members = {}  # promotion index: ([main types], [reward types])
    for kind in types:
        for index in _bits(kind.main):
            members.setdefault(index, ([], []))[0].append(kind)
        for index in _bits(kind.reward):
            members.setdefault(index, ([], []))[1].append(kind)
    parent = {id(kind): kind for kind in types}

    def find(kind):
        while parent[id(kind)] is not kind:
            parent[id(kind)] = parent[id(parent[id(kind)])]
            kind = parent[id(kind)]
        return kind

    useful = []
    for index in sorted(members):
        main, reward = members[index]
        if _can_pay(promotions[index], main, reward):
            useful.append(index)
            linked = main + reward
            root = find(linked[0])
            for kind in linked[1:]:
                other = find(kind)
                if other is not root:
                    parent[id(other)] = root
    groups = {}
    for kind in types:
        groups.setdefault(id(find(kind)), ([], []))[0].append(kind)
    for index in useful:
        main, reward = members[index]
        groups[id(find((main + reward)[0]))][1].append(index)
    return list(groups.values())


def _can_pay(promo, main, reward):
    if promo.kind == _MIX:
        need = promo.qty
        values = sorted(((kind.price - kind.fallback, kind.count) for kind in main), reverse=True)
        gain = -promo.price
        for value, count in values:
            take = min(count, need)
            gain += take * value
            need -= take
            if not need:
                return gain > 0
        return False
    if sum(kind.count for kind in main) < promo.buy:
        return False
    prices = sorted(((kind.price, kind.count) for kind in reward), reverse=True)
    need, total = promo.get, 0
    for price, count in prices:
        take = min(count, need)
        total += take * price
        need -= take
        if not need:
            break
    if need or total * promo.percent < _PERCENT_FULL // 2:
        return False
    units = {id(kind): kind.count for kind in main + reward}
    return sum(units.values()) >= promo.buy + promo.get


def _solve(comp_types, comp_promos, promotions, half_even):
    """Best bundles of one component: ``(bundles, proven)``."""
    order = sorted(range(len(comp_types)), key=lambda t: -comp_types[t].price)
    ranked = [comp_types[t] for t in order]
    position = {id(kind): t for t, kind in enumerate(ranked)}
    specs = []
    for index in comp_promos:
        promo = promotions[index]
        main = sorted(position[id(kind)] for kind in ranked
                      if (kind.main >> index) & 1)
        reward = sorted(position[id(kind)] for kind in ranked
                        if (kind.reward >> index) & 1)
        if promo.kind == _MIX:
            specs.append((_MIX, promo.qty, promo.price, 0, main, []))
        else:
            specs.append((_BXGY, promo.buy, promo.get, promo.percent, main, reward))
    component = _Component(ranked, list(comp_promos),
                           [(kind.count, kind.price, kind.fallback) for kind in ranked],
                           specs, half_even)
    if len(specs) == 1 and specs[0][0] == _MIX:
        return component.solve_lone_mix(), True
    units = component.units()
    small = units <= ALWAYS_EXACT_UNITS
    if small or (units <= MAX_SEARCH_UNITS and component.state_space() < 1 << 62):
        bundles = component.solve_exact(0 if small else SEARCH_BUDGET)
        if bundles is not None:
            return bundles, True
    return component.solve_greedy(), False


def price_basket(request):
    """Price one whole request: store configuration and basket in one object."""
    return Engine(request).price(request)

#include "nearest.h"

#include <string>
#include <unordered_map>

#include "util.h"

namespace cgp {

namespace {

inline uint64_t distance(ErrorMetric m, int diff) {
    return m == ErrorMetric::AE ? static_cast<uint64_t>(diff < 0 ? -diff : diff) : static_cast<uint64_t>(diff * diff);
}

// nearest[t]: the best pin of the present value closest to t - 128; between t-k and t+k the
// cheaper tree, then the lower value; `fallback` when no value is present (empty window).
void nearest_from_best(const int32_t* best_pin, const uint64_t* best_tree, int32_t fallback, int32_t* nearest) {
    int left[256], right[256];
    int last = -1;
    for (int v = 0; v < 256; ++v) {
        if (best_pin[v] >= 0) last = v;
        left[v] = last;
    }
    last = -1;
    for (int v = 255; v >= 0; --v) {
        if (best_pin[v] >= 0) last = v;
        right[v] = last;
    }
    for (int t = 0; t < 256; ++t) {
        const int a = left[t], b = right[t];
        int pick;
        if (a < 0) pick = b;
        else if (b < 0) pick = a;
        else if (t - a < b - t) pick = a;
        else if (b - t < t - a) pick = b;
        else pick = best_tree[b] < best_tree[a] ? b : a;
        nearest[t] = pick < 0 ? fallback : best_pin[pick];
    }
}

}  // namespace

NearestTargets NearestTargets::from(const Problem& p) {
    const Layout& l = p.layout;
    NearestTargets t;
    t.items = l.items;
    t.meaningful.resize(static_cast<size_t>(l.items));
    for (int d = 0; d < l.items; ++d) t.meaningful[static_cast<size_t>(d)] = static_cast<uint64_t>(p.data.meaningful[d]);
    if (l.items == 1) {
        t.groups = kDontCareGroup + 1;
        t.key.resize(static_cast<size_t>(t.groups));
        t.counted.assign(static_cast<size_t>(t.groups), 1);
        t.count.assign(static_cast<size_t>(t.groups), 0);
        for (int v = 0; v < 256; ++v) t.key[static_cast<size_t>(v)] = static_cast<int8_t>(v - 128);
        t.key[kDontCareGroup] = 0;
        t.counted[kDontCareGroup] = 0;
        for (int j = 0; j < l.out; ++j) ++t.count[static_cast<size_t>(t.group_of_output(p, j))];
        return t;
    }
    const size_t items = static_cast<size_t>(l.items);
    std::unordered_map<std::string, int32_t> index;
    std::string k(2 * items, '\0');
    t.group_of.resize(static_cast<size_t>(l.out));
    for (int j = 0; j < l.out; ++j) {
        for (size_t d = 0; d < items; ++d) {
            k[d] = static_cast<char>(p.data.outputs[d * static_cast<size_t>(l.out) + static_cast<size_t>(j)]);
            k[items + d] = j < p.data.meaningful[d] ? 1 : 0;
        }
        const auto [it, added] = index.emplace(k, t.groups);
        if (added) {
            ++t.groups;
            for (size_t d = 0; d < items; ++d) {
                t.key.push_back(static_cast<int8_t>(k[d]));
                t.counted.push_back(static_cast<uint8_t>(k[items + d]));
            }
            t.count.push_back(0);
        }
        t.group_of[static_cast<size_t>(j)] = it->second;
        ++t.count[static_cast<size_t>(it->second)];
    }
    return t;
}

void NearestChoice::prepare(const Layout& l, const NearestTargets& t) {
    group_pin.assign(static_cast<size_t>(t.groups), -1);
    roots.clear();
    roots.reserve(static_cast<size_t>(t.groups));
    best_pin.assign(256, -1);
    best_tree.assign(256, UINT64_MAX);
    pin_stamp.assign(static_cast<size_t>(l.pins), 0);
    item_error.assign(static_cast<size_t>(l.items), 0);
    stamp = 0;
    if (l.items > 1) {
        size_t slots = 16;
        const size_t window = static_cast<size_t>(l.win_max[l.cols] - l.win_min[l.cols]);
        while (slots < 2 * window) slots *= 2;
        slot_pin.assign(slots, -1);
        slot_stamp.assign(slots, 0);
        candidates.reserve(window);
    }
}

namespace {

uint32_t next_stamp(NearestChoice& c) {
    if (++c.stamp == 0) {
        std::fill(c.pin_stamp.begin(), c.pin_stamp.end(), 0);
        std::fill(c.slot_stamp.begin(), c.slot_stamp.end(), 0);
        c.stamp = 1;
    }
    return c.stamp;
}

void add_root(NearestChoice& c, int32_t pin) {
    if (c.pin_stamp[static_cast<size_t>(pin)] == c.stamp) return;
    c.pin_stamp[static_cast<size_t>(pin)] = c.stamp;
    c.roots.push_back(pin);
}

}  // namespace

void best_pin_per_value(const Layout& l, const int8_t* vals, const uint64_t* tree, NearestChoice& c) {
    std::fill(c.best_pin.begin(), c.best_pin.end(), -1);
    std::fill(c.best_tree.begin(), c.best_tree.end(), UINT64_MAX);
    for (int pin = l.win_min[l.cols]; pin < l.win_max[l.cols]; ++pin) {
        const size_t v = static_cast<size_t>(vals[pin] + 128);
        if (c.best_pin[v] < 0 || tree[pin] < c.best_tree[v]) {
            c.best_pin[v] = pin;
            c.best_tree[v] = tree[pin];
        }
    }
}

uint64_t assign_from_best(const Problem& p, const NearestTargets& t, const int8_t* vals, NearestChoice& c) {
    const Layout& l = p.layout;
    int32_t nearest[256];
    nearest_from_best(c.best_pin.data(), c.best_tree.data(), l.win_min[l.cols], nearest);
    next_stamp(c);
    c.roots.clear();
    const ErrorMetric metric = p.cfg.error_metric;
    uint64_t err = 0;
    for (int g = 0; g < 256; ++g) {
        c.group_pin[static_cast<size_t>(g)] = nearest[g];
        const uint64_t n = t.count[static_cast<size_t>(g)];
        if (!n) continue;
        err += n * distance(metric, vals[nearest[g]] - (g - 128));
        add_root(c, nearest[g]);
    }
    c.group_pin[NearestTargets::kDontCareGroup] = nearest[128];
    if (t.count[NearestTargets::kDontCareGroup]) add_root(c, nearest[128]);
    if (metric == ErrorMetric::MSE) err = t.meaningful[0] ? err / t.meaningful[0] : 0;
    return err;
}

uint64_t assign_nearest_groups(const Problem& p, const NearestTargets& t, const int8_t* vals, const uint64_t* tree,
                               NearestChoice& c) {
    const Layout& l = p.layout;
    if (l.items == 1) {
        best_pin_per_value(l, vals, tree, c);
        return assign_from_best(p, t, vals, c);
    }
    const int items = l.items;
    const int lo = l.win_min[l.cols], hi = l.win_max[l.cols];
    const uint32_t stamp = next_stamp(c);
    // Distinct value tuples among the window's pins, each represented by its best pin.
    c.candidates.clear();
    const size_t mask = c.slot_pin.size() - 1;
    for (int pin = lo; pin < hi; ++pin) {
        const int8_t* v = vals + static_cast<size_t>(pin) * items;
        uint64_t h = 0x1234567ULL;
        for (int d = 0; d < items; ++d) h = mix64(h ^ static_cast<uint8_t>(v[d]));
        for (size_t s = h & mask;; s = (s + 1) & mask) {
            if (c.slot_stamp[s] != stamp) {
                c.slot_stamp[s] = stamp;
                c.slot_pin[s] = static_cast<int32_t>(c.candidates.size());
                c.candidates.push_back(pin);
                break;
            }
            int32_t& rep = c.candidates[static_cast<size_t>(c.slot_pin[s])];
            const int8_t* w = vals + static_cast<size_t>(rep) * items;
            bool same = true;
            for (int d = 0; d < items && same; ++d) same = v[d] == w[d];
            if (!same) continue;
            if (tree[pin] < tree[rep]) rep = pin;
            break;
        }
    }
    const ErrorMetric metric = p.cfg.error_metric;
    std::fill(c.item_error.begin(), c.item_error.end(), 0);
    c.roots.clear();
    for (int g = 0; g < t.groups; ++g) {
        const int8_t* key = t.key.data() + static_cast<size_t>(g) * items;
        uint64_t best = UINT64_MAX, best_t = UINT64_MAX;
        int32_t best_p = lo;
        for (const int32_t pin : c.candidates) {
            const int8_t* v = vals + static_cast<size_t>(pin) * items;
            uint64_t dsum = 0;
            for (int d = 0; d < items && dsum <= best; ++d) dsum += distance(metric, v[d] - key[d]);
            if (dsum < best || (dsum == best && (tree[pin] < best_t || (tree[pin] == best_t && pin < best_p)))) {
                best = dsum;
                best_t = tree[pin];
                best_p = pin;
            }
        }
        c.group_pin[static_cast<size_t>(g)] = best_p;
        const uint8_t* counted = t.counted.data() + static_cast<size_t>(g) * items;
        const int8_t* v = vals + static_cast<size_t>(best_p) * items;
        const uint64_t n = t.count[static_cast<size_t>(g)];
        for (int d = 0; d < items; ++d)
            if (counted[d]) c.item_error[static_cast<size_t>(d)] += n * distance(metric, v[d] - key[d]);
        add_root(c, best_p);
    }
    uint64_t err = 0;
    for (int d = 0; d < items; ++d) {
        const uint64_t e = c.item_error[static_cast<size_t>(d)];
        if (metric == ErrorMetric::MSE) err += t.meaningful[static_cast<size_t>(d)] ? e / t.meaningful[static_cast<size_t>(d)] : 0;
        else err += e;
    }
    return err;
}

void materialise_outputs(const Problem& p, const NearestTargets& t, const std::vector<int32_t>& group_pin, int32_t* outs) {
    for (int j = 0; j < p.layout.out; ++j) outs[j] = group_pin[static_cast<size_t>(t.group_of_output(p, j))];
}

}  // namespace cgp

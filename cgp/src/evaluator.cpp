#include "evaluator.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "functions.h"
#include "util.h"

namespace cgp {

namespace {

std::atomic<uint64_t> g_version{1};

inline int used_inputs(const Layout& l, int f) { return l.used_inputs(f); }

// Evaluates one node for every dataset item and output pin. Returns whether any value changed;
// with `undo`, the old values are logged so the caller can restore the parent afterwards.
inline bool eval_node(const Problem& p, const int32_t* g, int node, int8_t* vals,
                      std::vector<std::pair<int32_t, int8_t>>* undo) {
    const Layout& l = p.layout;
    const int f = g[l.arity];
    const int na = used_inputs(l, f);
    const int base = l.node_pin(node);
    if (l.items == 1 && l.fo == 1) {
        // One item: MUX/DEMUX/ID read at most input 0, every other function at most 2 inputs.
        int8_t in[2];
        in[0] = na > 0 ? vals[g[0]] : int8_t{0};
        in[1] = na > 1 ? vals[g[1]] : int8_t{0};
        const int8_t v = apply_function(f, in, l.arity, 0, p.vmin, p.vmax);
        if (vals[base] == v) return false;
        if (undo) undo->emplace_back(base, vals[base]);
        vals[base] = v;
        return true;
    }
    const int items = l.items;
    bool changed = false;
    int8_t in[64];
    for (int d = 0; d < items; ++d) {
        in[0] = in[1] = 0;
        for (int k = 0; k < na; ++k) in[k] = vals[static_cast<size_t>(g[k]) * items + d];
        for (int k = 0; k < l.fo; ++k) {
            const int8_t v = apply_function_pin(f, in, l.arity, d, k, p.vmin, p.vmax);
            const size_t idx = static_cast<size_t>(base + k) * items + d;
            if (vals[idx] != v) {
                if (undo) undo->emplace_back(static_cast<int32_t>(idx), vals[idx]);
                vals[idx] = v;
                changed = true;
            }
        }
    }
    return changed;
}

inline uint64_t node_tree(const Problem& p, const int32_t* g, const std::vector<uint64_t>& tree) {
    const Layout& l = p.layout;
    const int f = g[l.arity];
    uint64_t t = p.gates.of(f).quantized_energy;
    const int na = used_inputs(l, f);
    for (int k = 0; k < na; ++k) t = sat_add(t, tree[g[k]]);
    return t;
}

}  // namespace

// Active nodes are those reachable from the roots (the output pins). A depth-first walk marks
// them in a bitmap, so the cost is proportional to the active part of the grid, not to the
// grid; scanning the bitmap in node order is a topological order for the delay.
void CostScratch::reset(const Layout& l) {
    visited.assign((static_cast<size_t>(l.nodes) + 63) / 64, 0);
    delay.assign(static_cast<size_t>(l.nodes), 0);
    stack.clear();
    stack.reserve(static_cast<size_t>(l.nodes));
}

void costs_from_roots(const Problem& p, const int32_t* genes, const int32_t* roots, size_t root_count, CostScratch& cs,
                      Fitness& fit) {
    const Layout& l = p.layout;
    std::fill(cs.visited.begin(), cs.visited.end(), 0);
    cs.stack.clear();
    auto visit = [&](int32_t pin) {
        if (pin < l.in) return;
        const int n = l.node_of_pin(pin);
        uint64_t& w = cs.visited[static_cast<size_t>(n) >> 6];
        const uint64_t bit = uint64_t{1} << (n & 63);
        if (w & bit) return;
        w |= bit;
        cs.stack.push_back(n);
    };
    if (root_count * 4 < static_cast<size_t>(l.nodes)) {
        // Few roots (nearest assignment): a depth-first walk touches only the cone.
        for (size_t r = 0; r < root_count; ++r) visit(roots[r]);
        while (!cs.stack.empty()) {
            const int n = cs.stack.back();
            cs.stack.pop_back();
            const int32_t* g = genes + static_cast<size_t>(n) * l.block;
            const int na = used_inputs(l, g[l.arity]);
            for (int k = 0; k < na; ++k) visit(g[k]);
        }
    } else {
        // Many roots: the cone is most of the grid; a backward sweep reads the genes in order.
        for (size_t r = 0; r < root_count; ++r)
            if (roots[r] >= l.in) {
                const int n = l.node_of_pin(roots[r]);
                cs.visited[static_cast<size_t>(n) >> 6] |= uint64_t{1} << (n & 63);
            }
        for (int n = l.nodes - 1; n >= 0; --n) {
            if (!((cs.visited[static_cast<size_t>(n) >> 6] >> (n & 63)) & 1)) continue;
            const int32_t* g = genes + static_cast<size_t>(n) * l.block;
            const int na = used_inputs(l, g[l.arity]);
            for (int k = 0; k < na; ++k)
                if (g[k] >= l.in) {
                    const int m = l.node_of_pin(g[k]);
                    cs.visited[static_cast<size_t>(m) >> 6] |= uint64_t{1} << (m & 63);
                }
        }
    }
    uint64_t qe = 0;
    uint32_t count = 0;
    for (size_t w = 0; w < cs.visited.size(); ++w) {
        uint64_t bits = cs.visited[w];
        while (bits) {
            const int n = static_cast<int>(w * 64) + __builtin_ctzll(bits);
            bits &= bits - 1;
            const int32_t* g = genes + static_cast<size_t>(n) * l.block;
            const int f = g[l.arity];
            const GateCost& c = p.gates.of(f);
            qe = sat_add(qe, c.quantized_energy);
            ++count;
            const int na = used_inputs(l, f);
            uint64_t longest = 0;
            for (int k = 0; k < na; ++k)
                if (g[k] >= l.in) longest = std::max(longest, cs.delay[static_cast<size_t>(l.node_of_pin(g[k]))]);
            cs.delay[static_cast<size_t>(n)] = sat_add(longest, c.quantized_delay);
        }
    }
    uint64_t qd = 0;
    for (size_t r = 0; r < root_count; ++r)
        if (roots[r] >= l.in) qd = std::max(qd, cs.delay[static_cast<size_t>(l.node_of_pin(roots[r]))]);
    fit.quantized_energy = qe;
    fit.gate_count = count;
    fit.quantized_delay = qd;
    fit.costs_valid = true;
}

namespace {

inline uint64_t distance(ErrorMetric m, int diff) {
    return m == ErrorMetric::AE ? static_cast<uint64_t>(diff < 0 ? -diff : diff)
                                : static_cast<uint64_t>(diff * diff);
}

}  // namespace

uint64_t compute_error(const Problem& p, const std::vector<int8_t>& vals, const int32_t* out) {
    const Layout& l = p.layout;
    const int items = l.items;
    const ErrorMetric metric = p.cfg.error_metric;
    uint64_t total = 0;
    for (int d = 0; d < items; ++d) {
        const int n = p.data.meaningful[d];
        const int8_t* expected = p.data.outputs.data() + static_cast<size_t>(d) * l.out;
        uint64_t s = 0;
        if (items == 1) {
            if (metric == ErrorMetric::AE) {
                for (int j = 0; j < n; ++j) {
                    const int diff = vals[out[j]] - expected[j];
                    s += static_cast<uint64_t>(diff < 0 ? -diff : diff);
                }
            } else {
                for (int j = 0; j < n; ++j) {
                    const int diff = vals[out[j]] - expected[j];
                    s += static_cast<uint64_t>(diff * diff);
                }
            }
        } else {
            for (int j = 0; j < n; ++j) {
                const int diff = vals[static_cast<size_t>(out[j]) * items + d] - expected[j];
                s += distance(metric, diff);
            }
        }
        if (metric == ErrorMetric::MSE) total += n > 0 ? s / static_cast<uint64_t>(n) : 0;
        else total += s;
    }
    return total;
}

namespace {

// The outputs' window pins grouped by value (one sorted vector per value, by tree cost then pin).
// After a parent update only the pins whose value or tree cost changed move: each leaves the
// group it was filed in and is inserted at its place in its new group.
void update_value_groups(const Layout& l, ParentState& s, const std::vector<int32_t>& changed) {
    const int lo = l.win_min[l.cols], hi = l.win_max[l.cols];
    auto less = [&](int32_t a, int32_t b) {
        const uint64_t ta = s.tree[static_cast<size_t>(a)], tb = s.tree[static_cast<size_t>(b)];
        return ta != tb ? ta < tb : a < b;
    };
    for (int32_t q : changed) {
        if (q < lo || q >= hi) continue;
        auto& g = s.groups[s.gval[static_cast<size_t>(q)]];
        const auto it = std::find(g.begin(), g.end(), q);
        if (it != g.end()) g.erase(it);
    }
    for (int32_t q : changed) {
        if (q < lo || q >= hi) continue;
        const uint8_t v = static_cast<uint8_t>(s.vals[static_cast<size_t>(q)] + 128);
        auto& g = s.groups[v];
        const auto it = std::lower_bound(g.begin(), g.end(), q, less);
        if (it != g.end() && *it == q) continue;  // listed twice in `changed`
        g.insert(it, q);
        s.gval[static_cast<size_t>(q)] = v;
    }
}

void build_value_groups(const Layout& l, ParentState& s) {
    const int lo = l.win_min[l.cols], hi = l.win_max[l.cols];
    s.groups.resize(256);
    for (auto& g : s.groups) g.clear();
    s.gval.assign(static_cast<size_t>(l.pins), 0);
    for (int pin = lo; pin < hi; ++pin) {
        const uint8_t v = static_cast<uint8_t>(s.vals[static_cast<size_t>(pin)] + 128);
        s.groups[v].push_back(pin);
        s.gval[static_cast<size_t>(pin)] = v;
    }
    for (auto& g : s.groups)
        std::sort(g.begin(), g.end(), [&](int32_t a, int32_t b) {
            const uint64_t ta = s.tree[static_cast<size_t>(a)], tb = s.tree[static_cast<size_t>(b)];
            return ta != tb ? ta < tb : a < b;
        });
}

void finish_parent(const Problem& p, ParentState& s, bool rebuild_consumers, const std::vector<int32_t>* changed) {
    const Layout& l = p.layout;
    if (s.pin_mark.size() != static_cast<size_t>(l.pins)) {
        s.pin_mark.assign(static_cast<size_t>(l.pins), 0);
        s.epoch = 0;
    }
    s.active.assign(static_cast<size_t>(l.nodes), 0);
    s.fit = Fitness{};
    if (s.cs.visited.empty()) s.cs.reset(l);
    if (p.cfg.output_assignment == OutputAssignment::Nearest) {
        // The distinct pins the groups read are the roots: at most 257 with one item, so the
        // cone walk touches only the active part of the grid.
        s.fit.error = assign_nearest_groups(p, *s.targets, s.vals.data(), s.tree.data(), s.choice);
        s.roots = s.choice.roots;
        if (l.items == 1 && changed && s.groups.size() == 256) update_value_groups(l, s, *changed);
        else if (l.items == 1) build_value_groups(l, s);
    } else {
        s.fit.error = compute_error(p, s.vals, s.genes.data() + l.node_genes);
        if (++s.epoch == 0) {
            std::fill(s.pin_mark.begin(), s.pin_mark.end(), 0);
            s.epoch = 1;
        }
        s.roots.clear();
        for (int j = 0; j < l.out; ++j) {
            const int32_t pin = s.genes[static_cast<size_t>(l.node_genes + j)];
            if (s.pin_mark[static_cast<size_t>(pin)] == s.epoch) continue;
            s.pin_mark[static_cast<size_t>(pin)] = s.epoch;
            s.roots.push_back(pin);
        }
    }
    costs_from_roots(p, s.genes.data(), s.roots.data(), s.roots.size(), s.cs, s.fit);
    for (int n = 0; n < l.nodes; ++n) s.active[static_cast<size_t>(n)] = (s.cs.visited[static_cast<size_t>(n) >> 6] >> (n & 63)) & 1;
    if (!(l.items == 1 && l.fo == 1) && (rebuild_consumers || s.order.empty())) {
        // Per column, the nodes grouped by function (counting sort), for branch-friendly bulk evaluation.
        s.order.resize(static_cast<size_t>(l.nodes));
        for (int c = 0; c < l.cols; ++c) {
            int count[31] = {};
            const int base = c * l.rows;
            for (int r = 0; r < l.rows; ++r) ++count[GateTable::slot(s.genes[static_cast<size_t>(base + r) * l.block + l.arity]) + 1];
            for (int f = 0; f < 30; ++f) count[f + 1] += count[f];
            for (int r = 0; r < l.rows; ++r) {
                const int f = GateTable::slot(s.genes[static_cast<size_t>(base + r) * l.block + l.arity]);
                s.order[static_cast<size_t>(base + count[f]++)] = base + r;
            }
        }
    }
    if (rebuild_consumers && changed && !s.cons_off.empty() &&
        s.xnode.size() + s.mutated.size() * static_cast<size_t>(l.arity) <= static_cast<size_t>(l.nodes) / 2) {
        // A few nodes changed: list them as readers of their inputs in the overflow lists.
        for (int n : s.mutated) {
            const int32_t* g = s.genes.data() + static_cast<size_t>(n) * l.block;
            const int na = used_inputs(l, g[l.arity]);
            for (int k = 0; k < na; ++k) {
                s.xnode.push_back(n);
                s.xnext.push_back(s.xhead[static_cast<size_t>(g[k])]);
                s.xhead[static_cast<size_t>(g[k])] = static_cast<int32_t>(s.xnode.size() - 1);
            }
        }
    } else if (rebuild_consumers) {
        s.xhead.assign(static_cast<size_t>(l.pins), -1);
        s.xnext.clear();
        s.xnode.clear();
        // Consumers of every pin, over all nodes (active or not), in node order.
        s.cons_off.assign(static_cast<size_t>(l.pins) + 1, 0);
        for (int n = 0; n < l.nodes; ++n) {
            const int32_t* g = s.genes.data() + static_cast<size_t>(n) * l.block;
            const int na = used_inputs(l, g[l.arity]);
            for (int k = 0; k < na; ++k) ++s.cons_off[static_cast<size_t>(g[k]) + 1];
        }
        for (int i = 0; i < l.pins; ++i) s.cons_off[i + 1] += s.cons_off[i];
        s.cons.assign(static_cast<size_t>(s.cons_off[l.pins]), 0);
        s.fill.assign(s.cons_off.begin(), s.cons_off.end() - 1);
        for (int n = 0; n < l.nodes; ++n) {
            const int32_t* g = s.genes.data() + static_cast<size_t>(n) * l.block;
            const int na = used_inputs(l, g[l.arity]);
            // A node reading the same pin twice is listed twice; harmless (dirty is a bitmap).
            for (int k = 0; k < na; ++k) s.cons[static_cast<size_t>(s.fill[static_cast<size_t>(g[k])]++)] = n;
        }
    }
    s.version = g_version.fetch_add(1);
}

}  // namespace

void build_parent(const Problem& p, std::vector<int32_t> genes, ParentState& s) {
    const Layout& l = p.layout;
    const int items = l.items;
    s.genes = std::move(genes);
    if (p.cfg.output_assignment == OutputAssignment::Nearest) {
        s.genes.resize(static_cast<size_t>(l.node_genes));  // the outputs follow from the assignment
        auto targets = std::make_shared<NearestTargets>(NearestTargets::from(p));
        s.choice.prepare(l, *targets);
        s.targets = std::move(targets);
    } else {
        s.targets.reset();
    }
    s.vals.assign(static_cast<size_t>(l.pins) * items, 0);
    for (int d = 0; d < items; ++d)
        for (int i = 0; i < l.in; ++i) s.vals[static_cast<size_t>(i) * items + d] = p.data.inputs[static_cast<size_t>(d) * l.in + i];
    for (int n = 0; n < l.nodes; ++n) eval_node(p, s.genes.data() + static_cast<size_t>(n) * l.block, n, s.vals.data(), nullptr);
    if (p.cfg.output_assignment == OutputAssignment::Nearest) {
        s.tree.assign(static_cast<size_t>(l.pins), 0);
        for (int n = 0; n < l.nodes; ++n) {
            const uint64_t t = node_tree(p, s.genes.data() + static_cast<size_t>(n) * l.block, s.tree);
            for (int k = 0; k < l.fo; ++k) s.tree[static_cast<size_t>(l.node_pin(n) + k)] = t;
        }
    } else {
        s.tree.clear();
    }
    finish_parent(p, s, true, nullptr);
}

void advance_parent(const Problem& p, ParentState& s, const std::vector<Mutation>& muts) {
    const Layout& l = p.layout;
    const bool nearest = p.cfg.output_assignment == OutputAssignment::Nearest;
    s.dirty.assign((static_cast<size_t>(l.nodes) + 63) / 64, 0);
    s.changed.clear();
    s.mutated.clear();
    bool nodes_changed = false;
    for (const Mutation& m : muts) {
        int32_t& gene = s.genes[static_cast<size_t>(m.gene)];
        if (gene == m.value) continue;
        gene = m.value;
        if (m.gene < l.node_genes) {
            const int n = m.gene / l.block;
            s.dirty[static_cast<size_t>(n) >> 6] |= uint64_t{1} << (n & 63);
            s.mutated.push_back(n);
            nodes_changed = true;
        }
    }
    // Same propagation as an offspring's, on the parent itself; the consumer lists are the old
    // ones, which cover every unchanged reader, and every changed reader is dirty anyway.
    for (size_t w = 0; w < s.dirty.size(); ++w) {
        while (s.dirty[w]) {
            const int n = static_cast<int>(w * 64) + __builtin_ctzll(s.dirty[w]);
            s.dirty[w] &= s.dirty[w] - 1;
            const int32_t* g = s.genes.data() + static_cast<size_t>(n) * l.block;
            bool changed = eval_node(p, g, n, s.vals.data(), nullptr);
            if (nearest) {
                const uint64_t t = node_tree(p, g, s.tree);
                const int pin = l.node_pin(n);
                if (s.tree[static_cast<size_t>(pin)] != t) {
                    for (int k = 0; k < l.fo; ++k) s.tree[static_cast<size_t>(pin + k)] = t;
                    changed = true;
                }
            }
            if (!changed) continue;
            const int pin0 = l.node_pin(n);
            for (int k = 0; k < l.fo; ++k) s.changed.push_back(pin0 + k);
            s.for_each_reader(pin0, l.fo, [&](int m) { s.dirty[static_cast<size_t>(m) >> 6] |= uint64_t{1} << (m & 63); });
        }
    }
    finish_parent(p, s, nodes_changed, &s.changed);
}

Metrics parent_metrics(const Problem& p, const ParentState& s) {
    const Layout& l = p.layout;
    Metrics m;
    m.fit = s.fit;
    std::vector<double> delay(static_cast<size_t>(l.nodes), 0);
    std::vector<int> depth(static_cast<size_t>(l.nodes), 0);
    for (int n = 0; n < l.nodes; ++n) {
        if (!s.active[n]) continue;
        const int32_t* g = s.genes.data() + static_cast<size_t>(n) * l.block;
        const int f = g[l.arity];
        const GateCost& c = p.gates.of(f);
        m.energy += c.energy;
        m.area += c.area;
        double longest = 0;
        int deepest = 0;
        const int na = used_inputs(l, f);
        for (int k = 0; k < na; ++k)
            if (g[k] >= l.in) {
                longest = std::max(longest, delay[l.node_of_pin(g[k])]);
                deepest = std::max(deepest, depth[l.node_of_pin(g[k])]);
            }
        delay[n] = longest + c.delay;
        depth[n] = deepest + 1;
    }
    for (const int32_t pin : s.roots)
        if (pin >= l.in) {
            m.delay = std::max(m.delay, delay[l.node_of_pin(pin)]);
            m.depth = std::max(m.depth, depth[l.node_of_pin(pin)]);
        }
    return m;
}

std::vector<int32_t> chromosome_genes(const Problem& p, const ParentState& s) {
    if (!s.targets) return s.genes;
    std::vector<int32_t> genes(static_cast<size_t>(p.layout.genes));
    std::copy(s.genes.begin(), s.genes.end(), genes.begin());
    materialise_outputs(p, *s.targets, s.choice.group_pin, genes.data() + p.layout.node_genes);
    return genes;
}

std::vector<int8_t> parent_outputs(const Problem& p, const ParentState& s) {
    const Layout& l = p.layout;
    std::vector<int32_t> pins(static_cast<size_t>(l.out));
    if (s.targets) materialise_outputs(p, *s.targets, s.choice.group_pin, pins.data());
    else std::copy(s.genes.begin() + l.node_genes, s.genes.end(), pins.begin());
    std::vector<int8_t> out(static_cast<size_t>(l.items) * l.out);
    for (int d = 0; d < l.items; ++d)
        for (int j = 0; j < l.out; ++j)
            out[static_cast<size_t>(d) * l.out + j] = s.vals[static_cast<size_t>(pins[static_cast<size_t>(j)]) * l.items + d];
    return out;
}

std::vector<std::pair<int, uint64_t>> gate_histogram(const Problem& p, const ParentState& s) {
    const Layout& l = p.layout;
    std::vector<std::pair<int, uint64_t>> h;
    for (int f = 0; f < kMaxFunctionCount; ++f) h.emplace_back(f, 0);
    h.emplace_back(kFunctionId, 0);
    for (int n = 0; n < l.nodes; ++n) {
        if (!s.active[n]) continue;
        const int f = s.genes[static_cast<size_t>(n) * l.block + l.arity];
        ++h[static_cast<size_t>(GateTable::slot(f))].second;
    }
    return h;
}

Worker::Worker(const Problem& p) : p_(p) {
    const Layout& l = p.layout;
    dirty_.assign((static_cast<size_t>(l.nodes) + 63) / 64, 0);
    cs_.reset(l);
    fast_nearest_ = p.cfg.output_assignment == OutputAssignment::Nearest && l.items == 1 && l.fo == 1;
    if (fast_nearest_) pin_stamp_.assign(static_cast<size_t>(l.pins), 0);
    fast_ = l.items == 1 && l.fo == 1;
    has_b_ = l.arity >= 2;
    for (int f = 0; f <= kFunctionId; ++f) {
        if (!is_known_function(f)) continue;
        const int slot = GateTable::slot(f);
        un_off_[f] = static_cast<uint16_t>(slot * 256);
        const int used = l.used_inputs(f);
        u0_[f] = used > 0 ? 1 : 0;
        u1_[f] = used > 1 && has_b_ ? 1 : 0;
        qe_[f] = p.gates.of(f).quantized_energy;
        switch (f) {
            case 1: kind_[f] = 1; break;
            case 2: kind_[f] = 2; break;
            case 3: kind_[f] = 3; break;
            case 8: kind_[f] = 4; break;
            case 9: kind_[f] = 5; break;
            case 10: kind_[f] = 6; break;
            default: kind_[f] = 0;
        }
        shift_[f] = static_cast<uint8_t>(8 * kind_[f]);
        for (int a = 0; a < 256; ++a) {
            const int8_t in[2] = {static_cast<int8_t>(static_cast<uint8_t>(a)), int8_t{0}};
            un_[slot * 256 + a] = apply_function(f, in, l.arity, 0, p.vmin, p.vmax);
        }
    }
    if (fast_) {
        actp_.assign(static_cast<size_t>(l.pins), 0);
        list_.assign(static_cast<size_t>(l.nodes), 0);
    }
}

// A node's value without a branch on its function: the unary/constant result comes from a
// table, the six binary results are computed and packed into one word, and the function's kind
// shifts the chosen one out. Only for one dataset item and one output pin (then MUX, DEMUX and
// ID pass input 0 through).
namespace {
struct FastTables {
    const int8_t* un;
    const uint16_t* un_off;
    const uint8_t* shift;
    const int8_t* vals;
    int arity;
    bool has_b;
    inline int8_t value(const int32_t* g) const {
        const int f = g[arity];
        const uint32_t a = static_cast<uint8_t>(vals[g[0]]);
        const uint32_t b = has_b ? static_cast<uint8_t>(vals[g[1]]) : 0u;
        const uint64_t packed = static_cast<uint64_t>(static_cast<uint8_t>(un[un_off[f] + a])) |
                                static_cast<uint64_t>((a + b) & 0xFFu) << 8 | static_cast<uint64_t>((a - b) & 0xFFu) << 16 |
                                static_cast<uint64_t>((a * b) & 0xFFu) << 24 | static_cast<uint64_t>(a & b) << 32 |
                                static_cast<uint64_t>(a | b) << 40 | static_cast<uint64_t>(a ^ b) << 48;
        return static_cast<int8_t>(static_cast<uint8_t>(packed >> shift[f]));
    }
};
}  // namespace

// Evolved outputs after many mutations: only the nodes some output needs are evaluated. A
// branch-free backward sweep from the output genes marks them and lists them (last first); the
// list is then evaluated forwards. Nodes before column `first` keep the parent's values.
Fitness Worker::evaluate_active(const ParentState& parent, int first, uint64_t cost_threshold) {
    const Layout& l = p_.layout;
    const int n0 = first < l.nodes ? l.column_of(first) * l.rows : l.nodes;
    uint8_t* const act = actp_.data();
    std::memset(act, 0, actp_.size());
    const int32_t* const genes = genes_.data();
    const int32_t* const outs = genes + l.node_genes;
    for (int j = 0; j < l.out; ++j) act[outs[j]] = 1;
    const int block = l.block, arity = l.arity, in = l.in, nodes = l.nodes;
    const bool has_b = has_b_;
    const uint8_t* const u0 = u0_;
    const uint8_t* const u1 = u1_;
    int32_t* const list = list_.data();
    int k = 0;
    for (int n = nodes - 1; n >= n0; --n) {
        const int32_t* g = genes + static_cast<size_t>(n) * block;
        const uint8_t m = act[in + n];
        const int f = g[arity];
        list[k] = n;
        k += m;
        act[g[0]] |= static_cast<uint8_t>(m & u0[f]);
        if (has_b) act[g[1]] |= static_cast<uint8_t>(m & u1[f]);
    }
    int8_t* const vals = vals_.data();
    const FastTables t{un_, un_off_, shift_, vals, arity, has_b};
    for (int i = k - 1; i >= 0; --i) {
        const int n = list[i];
        vals[in + n] = t.value(genes + static_cast<size_t>(n) * block);
    }
    Fitness fit;
    fit.error = compute_error(p_, vals_, outs);
    if (fit.error <= cost_threshold) compute_costs(fit);
    // Restore the parent's values of the recomputed nodes.
    const int8_t* pv = parent.vals.data();
    for (int i = 0; i < k; ++i) vals[in + list[i]] = pv[in + list[i]];
    return fit;
}

// Evaluates every node from the column of `first` on. Nodes of a column do not depend on each
// other, so each column is run in the parent's function-grouped order: the function dispatch
// then repeats the same branch many times in a row instead of jumping at random. Nodes whose
// function changed are evaluated after the rest of their column.
void Worker::eval_columns_from(const ParentState& parent, int first, bool with_tree) {
    const Layout& l = p_.layout;
    if (first >= l.nodes) return;
    if (fast_) {
        // In node order with branch-free values (and tree costs).
        const int32_t* genes = genes_.data();
        int8_t* vals = vals_.data();
        uint64_t* tree = tree_.data();
        const int block = l.block, arity = l.arity, in = l.in;
        const FastTables ft{un_, un_off_, shift_, vals, arity, has_b_};
        for (int n = l.column_of(first) * l.rows; n < l.nodes; ++n) {
            const int32_t* g = genes + static_cast<size_t>(n) * block;
            vals[in + n] = ft.value(g);
            if (with_tree) {
                const int f = g[arity];
                uint64_t t = sat_add(qe_[f], u0_[f] ? tree[g[0]] : 0);
                if (u1_[f]) t = sat_add(t, tree[g[1]]);
                tree[in + n] = t;
            }
        }
        return;
    }
    for (int c = l.column_of(first); c < l.cols; ++c) {
        const int32_t* order = parent.order.data() + static_cast<size_t>(c) * l.rows;
        deferred_.clear();
        for (int i = 0; i <= l.rows; ++i) {
            int n;
            if (i < l.rows) {
                n = order[i];
                const size_t fg = static_cast<size_t>(n) * l.block + static_cast<size_t>(l.arity);
                if (genes_[fg] != parent.genes[fg]) {
                    deferred_.push_back(n);
                    continue;
                }
            } else {
                break;
            }
            const int32_t* g = genes_.data() + static_cast<size_t>(n) * l.block;
            eval_node(p_, g, n, vals_.data(), nullptr);
            if (with_tree) {
                const uint64_t t = node_tree(p_, g, tree_);
                for (int k = 0; k < l.fo; ++k) tree_[static_cast<size_t>(l.node_pin(n) + k)] = t;
            }
        }
        for (int n : deferred_) {
            const int32_t* g = genes_.data() + static_cast<size_t>(n) * l.block;
            eval_node(p_, g, n, vals_.data(), nullptr);
            if (with_tree) {
                const uint64_t t = node_tree(p_, g, tree_);
                for (int k = 0; k < l.fo; ++k) tree_[static_cast<size_t>(l.node_pin(n) + k)] = t;
            }
        }
    }
}

Fitness Worker::evaluate_nearest_table(const ParentState& parent, uint64_t cost_threshold) {
    const Layout& l = p_.layout;
    const int lo = l.win_min[l.cols], hi = l.win_max[l.cols];
    if (++stamp_ == 0) {
        std::fill(pin_stamp_.begin(), pin_stamp_.end(), 0);
        std::fill(std::begin(value_stamp_), std::end(value_stamp_), 0);
        stamp_ = 1;
    }
    changed_.clear();
    affected_.clear();
    auto mark_pin = [&](int32_t pin) {
        if (pin_stamp_[static_cast<size_t>(pin)] == stamp_) return;
        pin_stamp_[static_cast<size_t>(pin)] = stamp_;
        if (pin < lo || pin >= hi) return;
        changed_.push_back(pin);
        for (int v : {parent.vals[static_cast<size_t>(pin)] + 128, vals_[static_cast<size_t>(pin)] + 128}) {
            if (value_stamp_[v] != stamp_) {
                value_stamp_[v] = stamp_;
                affected_.push_back(v);
            }
        }
    };
    for (const auto& u : val_undo_) mark_pin(u.first);
    for (const auto& u : tree_undo_) mark_pin(u.first);
    std::vector<int32_t>& best_pin_ = choice_.best_pin;
    std::vector<uint64_t>& best_tree_ = choice_.best_tree;
    std::copy(parent.choice.best_pin.begin(), parent.choice.best_pin.end(), best_pin_.begin());
    std::copy(parent.choice.best_tree.begin(), parent.choice.best_tree.end(), best_tree_.begin());
    // A value whose pins changed: its best unchanged pin is the first unchanged one in the
    // parent's sorted group; then the changed pins now holding that value compete.
    for (int v : affected_) {
        int32_t best = -1;
        uint64_t bt = UINT64_MAX;
        for (const int32_t pin : parent.groups[static_cast<size_t>(v)]) {
            if (pin_stamp_[static_cast<size_t>(pin)] != stamp_) {
                best = pin;
                bt = parent.tree[static_cast<size_t>(pin)];
                break;
            }
        }
        best_pin_[static_cast<size_t>(v)] = best;
        best_tree_[static_cast<size_t>(v)] = bt;
    }
    for (int32_t pin : changed_) {
        const size_t v = static_cast<size_t>(vals_[static_cast<size_t>(pin)] + 128);
        const uint64_t t = tree_[static_cast<size_t>(pin)];
        if (best_pin_[v] < 0 || t < best_tree_[v] || (t == best_tree_[v] && pin < best_pin_[v])) {
            best_pin_[v] = pin;
            best_tree_[v] = t;
        }
    }
    Fitness fit;
    fit.error = assign_from_best(p_, *targets_, vals_.data(), choice_);
    if (fit.error <= cost_threshold) compute_costs(fit);
    return fit;
}

void Worker::sync(const ParentState& parent) {
    if (version_ == parent.version) return;
    genes_ = parent.genes;
    vals_ = parent.vals;
    tree_ = parent.tree;
    version_ = parent.version;
    if (parent.targets.get() != targets_) {
        targets_ = parent.targets.get();
        if (targets_) choice_.prepare(p_.layout, *targets_);
    }
}

void Worker::compute_costs(Fitness& fit) {
    if (targets_) costs_from_roots(p_, genes_.data(), choice_.roots.data(), choice_.roots.size(), cs_, fit);
    else costs_from_roots(p_, genes_.data(), genes_.data() + p_.layout.node_genes, static_cast<size_t>(p_.layout.out), cs_, fit);
}

Fitness Worker::evaluate(const ParentState& parent, const std::vector<Mutation>& muts, uint64_t cost_threshold,
                         bool& neutral) {
    const Layout& l = p_.layout;
    sync(parent);
    gene_undo_.clear();
    val_undo_.clear();
    tree_undo_.clear();
    const bool nearest = p_.cfg.output_assignment == OutputAssignment::Nearest;
    bool touches_active = false;
    int32_t first_gene = l.node_genes;
    for (const Mutation& m : muts) {
        const int32_t old = genes_[static_cast<size_t>(m.gene)];
        if (old == m.value) continue;
        gene_undo_.emplace_back(m.gene, old);
        genes_[static_cast<size_t>(m.gene)] = m.value;
        const bool output_gene = m.gene >= l.node_genes;
        first_gene = std::min(first_gene, output_gene ? l.node_genes : m.gene);
        touches_active |= output_gene;
    }
    if (!touches_active && !nearest) {
        for (const auto& u : gene_undo_)
            if (u.first < l.node_genes && parent.active[l.block_div.div(static_cast<uint32_t>(u.first))]) {
                touches_active = true;
                break;
            }
    }
    neutral = gene_undo_.empty() || (!nearest && !touches_active);
    if (neutral) {
        for (auto it = gene_undo_.rbegin(); it != gene_undo_.rend(); ++it) genes_[static_cast<size_t>(it->first)] = it->second;
        return parent.fit;
    }
    const size_t words = dirty_.size();
    if (gene_undo_.size() * 8 > static_cast<size_t>(l.nodes)) {
        // Many mutations: plain re-evaluation from the first mutated node is cheaper than
        // tracking changes; the parent's values are copied back afterwards.
        const int first = static_cast<int>(l.block_div.div(static_cast<uint32_t>(first_gene)));
        Fitness fit;
        if (nearest) {
            // Every node in the outputs' window is a candidate: evaluate them all.
            eval_columns_from(parent, first, true);
            fit.error = assign_nearest_groups(p_, *targets_, vals_.data(), tree_.data(), choice_);
            if (fit.error <= cost_threshold) compute_costs(fit);
        } else if (fast_) {
            fit = evaluate_active(parent, first, cost_threshold);
            for (auto it = gene_undo_.rbegin(); it != gene_undo_.rend(); ++it) genes_[static_cast<size_t>(it->first)] = it->second;
            return fit;
        } else {
            // Several items or output pins: evaluate every node from the first mutated one.
            eval_columns_from(parent, first, false);
            fit.error = compute_error(p_, vals_, genes_.data() + l.node_genes);
            if (fit.error <= cost_threshold) compute_costs(fit);
        }
        const size_t from = static_cast<size_t>(l.node_pin(first < l.nodes ? l.column_of(first) * l.rows : 0));
        std::copy(parent.vals.begin() + static_cast<long>(from * static_cast<size_t>(l.items)), parent.vals.end(),
                  vals_.begin() + static_cast<long>(from * static_cast<size_t>(l.items)));
        if (nearest)
            std::copy(parent.tree.begin() + static_cast<long>(from), parent.tree.end(), tree_.begin() + static_cast<long>(from));
        for (auto it = gene_undo_.rbegin(); it != gene_undo_.rend(); ++it) genes_[static_cast<size_t>(it->first)] = it->second;
        return fit;
    }
    for (const auto& u : gene_undo_)
        if (u.first < l.node_genes) set_node_dirty(static_cast<int>(l.block_div.div(static_cast<uint32_t>(u.first))));
    // Forward propagation in node order; a node is recomputed only when it was mutated or an
    // input changed, and its consumers are visited only when its value changed.
    for (size_t w = 0; w < words; ++w) {
        while (dirty_[w]) {
            const int b = __builtin_ctzll(dirty_[w]);
            dirty_[w] &= dirty_[w] - 1;
            const int n = static_cast<int>(w * 64) + b;
            const int32_t* g = genes_.data() + static_cast<size_t>(n) * l.block;
            bool changed = eval_node(p_, g, n, vals_.data(), &val_undo_);
            if (nearest) {
                const uint64_t t = node_tree(p_, g, tree_);
                const int pin = l.node_pin(n);
                if (tree_[static_cast<size_t>(pin)] != t) {
                    for (int k = 0; k < l.fo; ++k) {
                        tree_undo_.emplace_back(pin + k, tree_[static_cast<size_t>(pin + k)]);
                        tree_[static_cast<size_t>(pin + k)] = t;
                    }
                    changed = true;
                }
            }
            if (!changed) continue;
            const int pin0 = l.node_pin(n);
            parent.for_each_reader(pin0, l.fo, [&](int m) { set_node_dirty(m); });
        }
    }
    Fitness fit;
    if (fast_nearest_) {
        fit = evaluate_nearest_table(parent, cost_threshold);
    } else {
        fit.error = nearest ? assign_nearest_groups(p_, *targets_, vals_.data(), tree_.data(), choice_)
                            : compute_error(p_, vals_, genes_.data() + l.node_genes);
        if (fit.error <= cost_threshold) compute_costs(fit);
    }
    // Restore the parent's state for the next offspring.
    for (auto it = val_undo_.rbegin(); it != val_undo_.rend(); ++it) vals_[static_cast<size_t>(it->first)] = it->second;
    for (auto it = tree_undo_.rbegin(); it != tree_undo_.rend(); ++it) tree_[static_cast<size_t>(it->first)] = it->second;
    for (auto it = gene_undo_.rbegin(); it != gene_undo_.rend(); ++it) genes_[static_cast<size_t>(it->first)] = it->second;
    return fit;
}

}  // namespace cgp

// Nearest assignment from the targets' histogram equals the plain per-output assignment: for
// every output, scan the outputs' window for the pin with the smallest distance (summed over the
// dataset items, don't care read as 0), then the cheapest tree, then (one item) the lower value,
// then the lowest pin.
#include <algorithm>

#include "engine.h"
#include "evaluator.h"
#include "fixtures.h"
#include "harness.h"

namespace {

struct Case {
    int in, out, rows, cols, items, pad, spread;
    const char* metric;
    const char* extra;
};

std::string case_config(const Case& c) {
    return "input_count: " + std::to_string(c.in) + "\noutput_count: " + std::to_string(c.out) + "\nrow_count: " +
           std::to_string(c.rows) + "\ncol_count: " + std::to_string(c.cols) + "\nlook_back_parameter: " + std::to_string(c.cols) +
           "\ndataset_size: " + std::to_string(c.items) + "\nfunction_count: " + (c.items > 1 ? "29" : "27") +
           "\noutput_assignment: nearest\nerror_metric: " + c.metric + "\n" + c.extra;
}

// Targets in [-spread, spread] (narrow spreads make many outputs share a target and many ties);
// item d has d * pad trailing don't-care outputs.
std::string case_data(const Case& c, uint64_t seed) {
    cgp::Rng rng(seed);
    std::string s;
    for (int d = 0; d < c.items; ++d) {
        for (int i = 0; i < c.in; ++i) s += (i ? " " : "") + std::to_string(static_cast<int>(rng.below(256)) - 128);
        s += "\n";
        for (int j = 0; j < c.out; ++j) {
            s += j ? " " : "";
            const int v = static_cast<int>(rng.below(static_cast<uint64_t>(2 * c.spread + 1))) - c.spread;
            s += j >= c.out - d * c.pad ? std::string("x") : std::to_string(std::clamp(v, -128, 127));
        }
        s += "\n";
    }
    return s;
}

uint64_t distance(cgp::ErrorMetric m, int diff) {
    return m == cgp::ErrorMetric::AE ? static_cast<uint64_t>(std::abs(diff)) : static_cast<uint64_t>(diff * diff);
}

// The per-output reference: output genes and the error they give.
std::pair<std::vector<int32_t>, uint64_t> per_output_assignment(const cgp::Problem& p, const std::vector<int32_t>& node_genes) {
    const cgp::Layout& l = p.layout;
    cgp::Problem evolve = p;
    evolve.cfg.output_assignment = cgp::OutputAssignment::Evolve;
    std::vector<int32_t> genes = node_genes;
    genes.resize(static_cast<size_t>(l.genes), 0);
    cgp::ParentState values;  // node values (outputs irrelevant)
    cgp::build_parent(evolve, genes, values);
    // Tree cost per pin: the node's gate energy plus its inputs' tree costs.
    std::vector<uint64_t> tree(static_cast<size_t>(l.pins), 0);
    for (int n = 0; n < l.nodes; ++n) {
        const int32_t* g = genes.data() + static_cast<size_t>(n) * l.block;
        uint64_t t = p.gates.of(g[l.arity]).quantized_energy;
        for (int k = 0; k < l.used_inputs(g[l.arity]); ++k) t += tree[static_cast<size_t>(g[k])];
        for (int k = 0; k < l.fo; ++k) tree[static_cast<size_t>(l.node_pin(n) + k)] = t;
    }
    const int lo = l.win_min[l.cols], hi = l.win_max[l.cols];
    std::vector<uint64_t> item_error(static_cast<size_t>(l.items), 0);
    for (int j = 0; j < l.out; ++j) {
        uint64_t best = UINT64_MAX, best_tree = UINT64_MAX;
        int32_t best_pin = lo;
        for (int pin = lo; pin < hi; ++pin) {
            uint64_t sum = 0;
            for (int d = 0; d < l.items; ++d)
                sum += distance(p.cfg.error_metric, values.vals[static_cast<size_t>(pin) * l.items + d] -
                                                        p.data.outputs[static_cast<size_t>(d) * l.out + j]);
            const uint64_t t = tree[static_cast<size_t>(pin)];
            // One item: equally near and equally cheap, the lower value wins (then the lower pin).
            const bool lower_value = l.items == 1 && values.vals[static_cast<size_t>(pin)] < values.vals[static_cast<size_t>(best_pin)];
            if (sum < best || (sum == best && (t < best_tree || (t == best_tree && lower_value)))) {
                best = sum;
                best_tree = tree[static_cast<size_t>(pin)];
                best_pin = pin;
            }
        }
        genes[static_cast<size_t>(l.node_genes + j)] = best_pin;
        for (int d = 0; d < l.items; ++d)
            if (j < p.data.meaningful[d])
                item_error[static_cast<size_t>(d)] += distance(p.cfg.error_metric, values.vals[static_cast<size_t>(best_pin) * l.items + d] -
                                                                                       p.data.outputs[static_cast<size_t>(d) * l.out + j]);
    }
    uint64_t error = 0;
    for (int d = 0; d < l.items; ++d) {
        const uint64_t n = static_cast<uint64_t>(p.data.meaningful[d]);
        error += p.cfg.error_metric == cgp::ErrorMetric::MSE ? (n ? item_error[static_cast<size_t>(d)] / n : 0)
                                                            : item_error[static_cast<size_t>(d)];
    }
    return {genes, error};
}

// Parents built from random circuits, and offspring of them evaluated by a Worker, agree with the
// per-output reference on error, assignment, energy, delay and gate count.
void check_case(const Case& c, int circuits) {
    const cgp::Problem p = cgp::make_problem(
        [&] {
            cgp::Config cfg = cgp::parse_config_text(case_config(c), "<test>");
            cgp::validate_config(cfg);
            return cfg;
        }(),
        fx::gate_text(), case_data(c, 11 + static_cast<uint64_t>(c.out)));
    cgp::Problem evolve = p;
    evolve.cfg.output_assignment = cgp::OutputAssignment::Evolve;
    cgp::Rng rng(17);
    cgp::Worker worker(p);
    std::vector<cgp::Mutation> muts;
    int mismatches = 0, checked = 0;
    for (int k = 0; k < circuits; ++k) {
        cgp::ParentState parent;
        cgp::build_parent(p, cgp::random_chromosome(p.layout, rng), parent);
        for (int t = 0; t < 6; ++t) {
            std::vector<int32_t> genes = parent.genes;
            cgp::Fitness fit = parent.fit;
            if (t > 0) {
                // Offspring: a few mutations (incremental path) or many (full re-evaluation).
                cgp::make_offspring(p, 5 + static_cast<uint64_t>(k), static_cast<uint64_t>(t), t % 2, muts, t % 3 ? &parent : nullptr);
                bool neutral = false;
                fit = worker.evaluate(parent, muts, UINT64_MAX, neutral);
                for (const auto& m : muts) genes[static_cast<size_t>(m.gene)] = m.value;
            }
            const auto [reference_genes, reference_error] = per_output_assignment(p, genes);
            cgp::ParentState exact;  // the reference chromosome evaluated as given
            cgp::build_parent(evolve, reference_genes, exact);
            cgp::ParentState histogram;
            cgp::build_parent(p, genes, histogram);
            ++checked;
            const bool same = fit.error == reference_error && exact.fit.error == reference_error &&
                              histogram.fit.error == reference_error && cgp::chromosome_genes(p, histogram) == reference_genes &&
                              cgp::parent_outputs(p, histogram) == cgp::parent_outputs(evolve, exact) &&
                              fit.quantized_energy == exact.fit.quantized_energy &&
                              histogram.fit.quantized_energy == exact.fit.quantized_energy &&
                              fit.quantized_delay == exact.fit.quantized_delay && fit.gate_count == exact.fit.gate_count;
            if (!same) ++mismatches;
        }
    }
    if (mismatches)
        th::fail(__FILE__, __LINE__,
                 std::to_string(mismatches) + " of " + std::to_string(checked) + " differ: " + case_config(c));
}

}  // namespace

TEST(histogram_assignment_equals_per_output_assignment) {
    for (const char* metric : {"SE", "MSE", "AE"}) {
        // One item: wide and narrow targets, don't-care padding, 2-output nodes, arity 1.
        check_case({5, 40, 4, 6, 1, 0, 128, metric, ""}, 12);
        check_case({3, 300, 3, 5, 1, 7, 6, metric, ""}, 12);
        check_case({2, 60, 3, 4, 1, 0, 3, metric, "function_output_arity: 2\n"}, 12);
        check_case({4, 50, 5, 5, 1, 0, 20, metric, "function_input_arity: 1\n"}, 12);
        // Several items, with different don't-care tails per item.
        check_case({4, 40, 4, 6, 2, 0, 128, metric, ""}, 10);
        check_case({3, 200, 4, 5, 3, 9, 4, metric, ""}, 10);
        check_case({2, 30, 3, 4, 2, 4, 2, metric, "function_output_arity: 2\nfunction_input_arity: 3\n"}, 10);
    }
}

TEST(histogram_groups_count_every_output_once) {
    const Case c{3, 500, 2, 2, 3, 40, 2, "SE", ""};
    cgp::Config cfg = cgp::parse_config_text(case_config(c), "<test>");
    cgp::validate_config(cfg);
    const cgp::Problem p = cgp::make_problem(cfg, fx::gate_text(), case_data(c, 3));
    const cgp::NearestTargets t = cgp::NearestTargets::from(p);
    uint64_t total = 0;
    for (const uint64_t n : t.count) total += n;
    CHECK_EQ(total, static_cast<uint64_t>(c.out));
    // Targets in [-2, 2] over 3 items with 3 don't-care tails: far fewer groups than outputs.
    CHECK(t.groups <= 5 * 5 * 5 + 3 * 25);
    for (int j = 0; j < c.out; ++j) {
        const int g = t.group_of_output(p, j);
        for (int d = 0; d < c.items; ++d) {
            CHECK_EQ(t.key[static_cast<size_t>(g * c.items + d)], p.data.outputs[static_cast<size_t>(d * c.out + j)]);
            CHECK_EQ(t.counted[static_cast<size_t>(g * c.items + d)] != 0, j < p.data.meaningful[d]);
        }
    }
}

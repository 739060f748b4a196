// Delta chromosomes in statistics rows: the reader's reconstruction evaluates exactly like the
// chromosome the engine logged, rows are much smaller than full ones, and train + evaluate:all
// read their own delta files.
#include <string>
#include <vector>

#include "chromosome_log.h"
#include "fixtures.h"
#include "harness.h"

namespace {

const char* kConfig =
    "input_count: 6\noutput_count: 5\nrow_count: 6\ncol_count: 8\nlook_back_parameter: 8\n"
    "function_count: 27\nmutation_max: 0.2\n";

}  // namespace

TEST(delta_rows_rebuild_circuits_that_evaluate_alike) {
    cgp::Problem p = fx::problem(kConfig, 6, 5, 1);
    const cgp::Layout& l = p.layout;
    cgp::Rng rng(11);
    std::vector<int32_t> genes = cgp::random_chromosome(l, rng);
    cgp::ChromosomeLog log(l, true);
    std::vector<int32_t> rebuilt;
    size_t delta_bytes = 0, full_bytes = 0;
    for (uint64_t g = 0; g < 200; ++g) {
        std::vector<cgp::Mutation> muts;
        cgp::make_offspring(p, 3, g, 0, muts);
        for (const auto& m : muts) genes[static_cast<size_t>(m.gene)] = m.value;
        const std::string text = log.text(genes);
        if (g == 0) {
            CHECK(!cgp::is_chromosome_delta(text));
            rebuilt = cgp::parse_chromosome(text, l);
        } else {
            CHECK(cgp::is_chromosome_delta(text));
            cgp::apply_chromosome_delta(rebuilt, text, l, "<test>", 1);
            delta_bytes += text.size();
            full_bytes += cgp::format_chromosome(genes, l).size();
        }
        cgp::ParentState a, b;
        cgp::build_parent(p, genes, a);
        cgp::build_parent(p, rebuilt, b);
        CHECK(cgp::parent_outputs(p, a) == cgp::parent_outputs(p, b));
        const cgp::Metrics ma = cgp::parent_metrics(p, a), mb = cgp::parent_metrics(p, b);
        CHECK_EQ(ma.fit.error, mb.fit.error);
        CHECK_EQ(ma.fit.quantized_energy, mb.fit.quantized_energy);
        CHECK_EQ(ma.fit.gate_count, mb.fit.gate_count);
        CHECK_EQ(ma.depth, mb.depth);
    }
    CHECK(delta_bytes * 4 < full_bytes);
    CHECK(cgp::is_chromosome_delta(log.text(genes)));
    CHECK(!cgp::is_chromosome_delta(cgp::ChromosomeLog(l, false).text(genes)));
}

TEST(malformed_deltas_are_refused) {
    cgp::Problem p = fx::problem(kConfig, 6, 5, 1);
    cgp::Rng rng(2);
    std::vector<int32_t> genes = cgp::random_chromosome(p.layout, rng);
    std::vector<int32_t> none;
    CHECK_ERROR(cgp::apply_chromosome_delta(none, "~()", p.layout, "s.csv", 3), cgp::kExitInvalidInput, "s.csv:3: chromosome delta: no earlier");
    CHECK_ERROR(cgp::apply_chromosome_delta(genes, "~([999]1,2,3)()", p.layout, "s.csv", 3), cgp::kExitInvalidInput, "outside the grid");
    CHECK_ERROR(cgp::apply_chromosome_delta(genes, "~([6]1,2)()", p.layout, "s.csv", 3), cgp::kExitInvalidInput, "too few genes");
    CHECK_ERROR(cgp::apply_chromosome_delta(genes, "~(0:1", p.layout, "s.csv", 3), cgp::kExitInvalidInput, "chromosome delta");
    CHECK_ERROR(cgp::apply_chromosome_delta(genes, "~(9:1)", p.layout, "s.csv", 3), cgp::kExitInvalidInput, "output change");
}

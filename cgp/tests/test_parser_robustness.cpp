// Randomly damaged inputs: every parser either accepts or throws CgpError; nothing else
// (no crash, no other exception, no hang). Run under the sanitizers by `make test`.
#include "config.h"
#include "engine.h"
#include "fixtures.h"
#include "harness.h"
#include "model.h"

namespace {

std::string damage(const std::string& s, cgp::Rng& rng) {
    std::string out = s;
    const char alphabet[] = "0123456789-+x,()[]{}:# \n\tae.";
    const int edits = 1 + static_cast<int>(rng.below(6));
    for (int e = 0; e < edits && !out.empty(); ++e) {
        const size_t at = rng.below(out.size());
        switch (rng.below(4)) {
            case 0: out[at] = alphabet[rng.below(sizeof alphabet - 1)]; break;
            case 1: out.erase(at, 1 + rng.below(8)); break;
            case 2: out.insert(at, 1, alphabet[rng.below(sizeof alphabet - 1)]); break;
            default: out = out.substr(0, at); break;
        }
    }
    return out;
}

template <typename F>
long survive(const std::string& seed_text, int rounds, uint64_t seed, F parse) {
    cgp::Rng rng(seed);
    long other = 0;
    for (int i = 0; i < rounds; ++i) {
        const std::string text = damage(seed_text, rng);
        try {
            parse(text);
        } catch (const cgp::CgpError&) {
        } catch (...) {
            ++other;
        }
    }
    return other;
}

}  // namespace

TEST(damaged_inputs_give_errors_not_crashes) {
    const std::string config_text =
        "input_count: 2\noutput_count: 3\nrow_count: 2\ncol_count: 2\nlook_back_parameter: 2\n"
        "function_count: 27\nmutation_max: 0.1\npopulation_max: 4\nmse_threshold: 3\n";
    CHECK_EQ(survive(config_text, 3000, 1, [](const std::string& t) {
                 cgp::Config c = cgp::parse_config_text(t, "f");
                 cgp::validate_config(c);
             }),
             0L);
    cgp::Config cfg = cgp::parse_config_text(config_text, "f");
    cgp::validate_config(cfg);
    const cgp::Layout l = cgp::Layout::from_config(cfg);
    CHECK_EQ(survive("5 -3\n2 -15 x\n", 3000, 2, [&](const std::string& t) { cgp::parse_dataset(t, cfg); }), 0L);
    CHECK_EQ(survive(fx::gate_text(), 1000, 3, [&](const std::string& t) { cgp::parse_gate_parameters(t, cfg); }), 0L);
    const cgp::Problem p = cgp::make_problem(cfg, fx::gate_text(), "5 -3\n2 -15 8\n");
    CHECK_EQ(survive("{2,3,2,2,2,2,1}([2]0,1,1)([3]0,1,3)([4]2,3,2)([5]1,0,100)(4,5,2)", 5000, 4,
                     [&](const std::string& t) {
                         cgp::ParentState s;
                         cgp::build_parent(p, cgp::parse_chromosome(t, l), s);
                     }),
             0L);
}

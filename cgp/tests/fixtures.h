// Small problems built in memory for the tests.
#pragma once

#include <string>

#include "engine.h"
#include "util.h"

namespace fx {

// A gate table with distinct non-zero costs for gates and zero for constants (35 lines, the
// layout Python writes).
inline std::string gate_text() {
    std::string s;
    for (int i = 0; i < 35; ++i) {
        const int qe = (i >= 22 && i <= 26) ? 0 : 10 + 7 * i;
        s += std::to_string(qe) + " " + std::to_string(qe) + ".5 " + std::to_string(2 * qe) + " " +
             std::to_string(1 + i % 5) + " " + std::to_string(1 + i % 5) + ".25\n";
    }
    return s;
}

// Random data text for `items` dataset items with `pad` trailing x outputs.
inline std::string data_text(int in, int out, int items, uint64_t seed, int pad = 0) {
    cgp::Rng rng(seed);
    std::string s;
    for (int d = 0; d < items; ++d) {
        for (int i = 0; i < in; ++i) s += (i ? " " : "") + std::to_string(static_cast<int>(rng.below(256)) - 128);
        s += "\n";
        for (int j = 0; j < out; ++j) {
            s += j ? " " : "";
            s += j >= out - pad ? std::string("x") : std::to_string(static_cast<int>(rng.below(256)) - 128);
        }
        s += "\n";
    }
    return s;
}

inline cgp::Problem problem(const std::string& config_text, int in, int out, int items, uint64_t seed = 5, int pad = 0) {
    cgp::Config cfg = cgp::parse_config_text(config_text, "<test>");
    cgp::validate_config(cfg);
    return cgp::make_problem(cfg, gate_text(), data_text(in, out, items, seed, pad));
}

}  // namespace fx

// libFuzzer target: the `key: value` config parser (parse_config_text), then validate_config,
// the dump and its reload. Properties: only CgpError escapes (exit 44, one-line message);
// a dumped config parses again and dumps to the same text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config.h"
#include "fuzz_common.h"
#include "model.h"
#include "util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    cgp::Config cfg;
    try {
        cfg = cgp::parse_config_text(text, "fuzz.config");
    } catch (const cgp::CgpError& e) {
        cgp_fuzz::check_error(e, cgp::kExitInvalidInput);
        return 0;
    }
    // What the engine writes into result configs must load again, unchanged.
    const std::string dumped = cgp::dump_config(cfg) + cgp::dump_extra(cfg);
    try {
        const cgp::Config again = cgp::parse_config_text(dumped, "dumped.config");
        const std::string redumped = cgp::dump_config(again) + cgp::dump_extra(again);
        if (redumped != dumped) cgp_fuzz::violated("dump is not stable", "first:\n" + dumped + "second:\n" + redumped);
    } catch (const cgp::CgpError& e) {
        cgp_fuzz::violated("dumped config does not parse", std::string(e.what()) + "\n" + dumped);
    }
    try {
        cgp::validate_config(cfg);
    } catch (const cgp::CgpError& e) {
        cgp_fuzz::check_error(e, cgp::kExitInvalidInput);
        return 0;
    }
    // A valid config of a small grid: its layout must give sane windows (the mutation operator
    // draws pins from them and would divide by or index with a bad width).
    const long double genes = static_cast<long double>(cfg.row_count) * cfg.col_count * (cfg.function_input_arity + 1) +
                              cfg.output_count;
    if (genes > 200000.0L) return 0;
    const cgp::Layout l = cgp::Layout::from_config(cfg);
    for (int c = 0; c <= l.cols; ++c) {
        if (l.win_min[c] < 0 || l.win_max[c] > l.pins || l.win_min[c] > l.win_max[c])
            cgp_fuzz::violated("bad connection window", "column " + std::to_string(c));
        // Columns after the first must have something to connect to.
        if (c > 0 && l.win_min[c] >= l.win_max[c]) cgp_fuzz::violated("empty connection window", "column " + std::to_string(c));
    }
    return 0;
}

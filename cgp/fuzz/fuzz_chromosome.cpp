// libFuzzer target: the chromosome parser (cgpviewer format, spec §3.2). The layout is taken
// from the string's own `{in,out,cols,rows,arity,L,items}` header (clamped small) so the fuzzer
// reaches the node and output genes; the first byte can perturb one dimension so header
// mismatches are exercised too, and chooses output arity and function count.
// Properties: only CgpError escapes (exit 44, one-line message); every accepted gene is in
// range for the layout; formatting the parsed genes and parsing again gives the same genes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "functions.h"
#include "fuzz_common.h"
#include "model.h"
#include "util.h"

namespace {

// Reads up to 7 comma-separated integers after '{'; missing ones keep their defaults.
void read_header(std::string_view s, int64_t (&h)[7]) {
    size_t i = s.find('{');
    if (i == std::string_view::npos) return;
    ++i;
    for (int k = 0; k < 7 && i < s.size(); ++k) {
        bool neg = false;
        if (s[i] == '-') {
            neg = true;
            ++i;
        }
        int64_t v = 0;
        bool any = false;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && v < 1000000) {
            v = v * 10 + (s[i] - '0');
            ++i;
            any = true;
        }
        if (any) h[k] = neg ? -v : v;
        if (i >= s.size() || s[i] != ',') return;
        ++i;
    }
}

int64_t clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const uint8_t mode = data[0];
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    int64_t h[7] = {3, 2, 3, 2, 2, 3, 1};
    read_header(text, h);
    cgp::Config cfg;
    cfg.input_count = clamp(h[0], 1, 40);
    cfg.output_count = clamp(h[1], 1, 40);
    cfg.col_count = clamp(h[2], 1, 12);
    cfg.row_count = clamp(h[3], 1, 12);
    cfg.function_input_arity = clamp(h[4], 1, 5);
    cfg.look_back_parameter = clamp(h[5], 1, cfg.col_count);
    cfg.dataset_size = clamp(h[6], 1, 8);
    cfg.function_output_arity = (mode & 0x01) ? 2 : 1;
    cfg.function_count = (mode & 0x02) ? 29 : 27;
    switch ((mode >> 2) & 0x7) {  // occasionally disagree with the header
        case 1: cfg.input_count += 1; break;
        case 2: cfg.output_count += 1; break;
        case 3: cfg.row_count += 1; break;
        case 4: cfg.function_input_arity += 1; break;
        default: break;
    }
    const cgp::Layout l = cgp::Layout::from_config(cfg);
    std::vector<int32_t> genes;
    try {
        genes = cgp::parse_chromosome(text, l, "fuzz.chromosome", 1);
    } catch (const cgp::CgpError& e) {
        cgp_fuzz::check_error(e, cgp::kExitInvalidInput);
        return 0;
    }
    if (genes.size() != static_cast<size_t>(l.genes)) cgp_fuzz::violated("wrong gene count", std::to_string(genes.size()));
    for (int n = 0; n < l.nodes; ++n) {
        const int col = l.column_of(n);
        for (int k = 0; k < l.arity; ++k) {
            const int32_t g = genes[static_cast<size_t>(n) * l.block + k];
            if (g < 0 || g >= l.win_max[col]) cgp_fuzz::violated("connection gene out of range", std::to_string(g));
        }
        const int32_t f = genes[static_cast<size_t>(n) * l.block + l.arity];
        if (!cgp::is_known_function(f) || (f != cgp::kFunctionId && f >= l.function_count))
            cgp_fuzz::violated("function gene out of range", std::to_string(f));
    }
    for (int j = 0; j < l.out; ++j) {
        const int32_t g = genes[static_cast<size_t>(l.node_genes) + j];
        if (g < 0 || g >= l.pins) cgp_fuzz::violated("output gene out of range", std::to_string(g));
    }
    const std::string formatted = cgp::format_chromosome(genes, l);
    try {
        if (cgp::parse_chromosome(formatted, l, "formatted.chromosome", 1) != genes)
            cgp_fuzz::violated("format/parse round trip changed the genes", formatted);
    } catch (const cgp::CgpError& e) {
        cgp_fuzz::violated("formatted chromosome does not parse", std::string(e.what()) + "\n" + formatted);
    }
    return 0;
}

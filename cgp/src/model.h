// The problem an engine run works on: grid layout (spec §4.1–4.2), dataset (§3.1), gate costs
// (§3.4), and the chromosome text format (§3.2). Every parser takes text in memory so the
// fuzzers and tests can call it directly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "functions.h"
#include "util.h"

namespace cgp {

struct Layout {
    int in = 0, out = 0, rows = 0, cols = 0, arity = 0, fo = 1, look_back = 1, items = 1, function_count = 27;
    int nodes = 0, pins = 0, block = 0, node_genes = 0, genes = 0;
    // Connection window per column: pins [win_min[c], win_max[c]); index `cols` is the outputs'.
    std::vector<int> win_min, win_max;
    FastDiv block_div, rows_div;  // gene -> node, node -> column without a hardware division
    // Connection genes each function id reads (ids 0..28 at 0..28, ID at 29), capped by arity.
    uint8_t used[30] = {};
    int used_inputs(int f) const { return used[f == 100 ? 29 : (f < 29 ? f : 29)]; }

    static Layout from_config(const Config& cfg);
    int node_pin(int node) const { return in + node * fo; }
    int node_of_pin(int pin) const { return fo == 1 ? pin - in : (pin - in) / fo; }
    int column_of(int node) const { return node / rows; }
};

struct Dataset {
    int items = 0, in = 0, out = 0;
    std::vector<int8_t> inputs;   // items × in
    std::vector<int8_t> outputs;  // items × out (don't-care positions hold 0)
    std::vector<int> meaningful;  // per item: outputs [0, meaningful) count towards the error
};

// Parses train.data (whitespace-separated tokens, `x` = don't care). Throws CgpError (44).
Dataset parse_dataset(std::string_view text, const Config& cfg, const std::string& source_name = "<data>");

struct GateCost {
    uint64_t quantized_energy = 0;
    double energy = 0;
    double area = 0;
    uint64_t quantized_delay = 0;
    double delay = 0;
};

struct GateTable {
    // Index for a function id: 0..28 direct, ID (100) at 29 (always free).
    GateCost cost[30];
    static int slot(int f) { return f == 100 ? 29 : f; }
    const GateCost& of(int f) const { return cost[slot(f)]; }
};

// Parses the 5-column gate parameter file. Throws CgpError (44) for short or malformed files.
GateTable parse_gate_parameters(std::string_view text, const Config& cfg, const std::string& source_name = "<gates>");

struct Problem {
    Config cfg;
    Layout layout;
    Dataset data;
    GateTable gates;
    int8_t vmin = -128, vmax = 127;
};

// Chromosome text: `{in,out,cols,rows,arity,L,items}([id]a,b,f)...(o0,...)` (spec §3.2).
std::vector<int32_t> parse_chromosome(std::string_view text, const Layout& layout,
                                      const std::string& source_name = "<chromosome>", long line = 1);
std::string format_chromosome(const std::vector<int32_t>& genes, const Layout& layout);

// Random chromosome as the original's initialisation: functions 0..function_count-1, connections
// and outputs uniform in their windows.
struct Rng;
std::vector<int32_t> random_chromosome(const Layout& layout, Rng& rng);

}  // namespace cgp

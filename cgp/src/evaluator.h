// Phenotype evaluation. A parent is evaluated in full once (every node, so that any node can be
// switched on by a later mutation without a stale value); an offspring is a short list of gene
// changes evaluated against the parent by propagating only the changed values forward.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "model.h"
#include "nearest.h"

namespace cgp {

// Selection fitness. Quantized costs are exact integers, so comparisons never depend on rounding.
struct Fitness {
    uint64_t error = UINT64_MAX;
    uint64_t quantized_energy = UINT64_MAX;
    uint64_t quantized_delay = UINT64_MAX;
    uint32_t gate_count = UINT32_MAX;
    bool costs_valid = false;
};

// Everything a statistics row reports.
struct Metrics {
    Fitness fit;
    double energy = 0, area = 0, delay = 0;
    int depth = 0;
};

struct Mutation {
    int32_t gene;
    int32_t value;
};

// Scratch for the active-cone walk (bitmap, stack, per-node delays).
struct CostScratch {
    std::vector<uint64_t> visited;
    std::vector<uint64_t> delay;
    std::vector<int32_t> stack;
    void reset(const Layout& l);
};
struct ParentState {
    uint64_t version = 0;
    // Node genes then output genes; with `nearest` only the node genes (the outputs follow from
    // `choice`, materialised by chromosome_genes when a result is written).
    std::vector<int32_t> genes;
    std::vector<int8_t> vals;     // pins × items
    std::vector<uint64_t> tree;   // per pin: a node's cost plus its inputs' (nearest tie-break)
    std::vector<uint8_t> active;  // per node
    std::vector<int32_t> cons_off, cons;  // pin → nodes reading it (CSR)
    // Readers added since the CSR was built (a linked list per pin). Stale readers may stay
    // listed: visiting a node that no longer reads a pin only recomputes an unchanged value.
    std::vector<int32_t> xhead, xnext, xnode;
    std::vector<int32_t> mutated;  // nodes whose genes the last advance changed
    // Calls f(node) for every (possibly stale) reader of pins [pin0, pin0 + count).
    template <class F>
    void for_each_reader(int pin0, int count, F&& f) const {
        for (int32_t c = cons_off[static_cast<size_t>(pin0)]; c < cons_off[static_cast<size_t>(pin0 + count)]; ++c)
            f(cons[static_cast<size_t>(c)]);
        for (int k = 0; k < count; ++k)
            for (int32_t e = xhead[static_cast<size_t>(pin0 + k)]; e >= 0; e = xnext[static_cast<size_t>(e)]) f(xnode[static_cast<size_t>(e)]);
    }
    // `nearest` with one dataset item: the outputs' window pins grouped by value, each group
    // sorted by (tree cost, pin), and the best pin per value.
    std::vector<std::vector<int32_t>> groups;  // 256 groups
    std::vector<uint8_t> gval;  // per pin: the group (value + 128) it is filed in
    std::vector<int32_t> order;  // per column, node indices grouped by function
    // `nearest`: the outputs grouped by target, and the pin each group reads.
    std::shared_ptr<const NearestTargets> targets;
    NearestChoice choice;
    Fitness fit;
    // Scratch reused between updates.
    CostScratch cs;
    std::vector<int32_t> fill;
    std::vector<uint64_t> dirty;
    std::vector<int32_t> changed;
    std::vector<int32_t> roots;  // the distinct pins the outputs read
    std::vector<uint32_t> pin_mark;
    uint32_t epoch = 0;
};

// Energy, gate count and delay of the cone feeding `roots` (pins).
void costs_from_roots(const Problem& p, const int32_t* genes, const int32_t* roots, size_t root_count, CostScratch& cs,
                      Fitness& fit);

// Builds the parent's full state from its genes (assigning outputs in `nearest` mode).
void build_parent(const Problem& p, std::vector<int32_t> genes, ParentState& out);
// Moves a parent to parent+mutations in place, re-evaluating only what changed.
void advance_parent(const Problem& p, ParentState& s, const std::vector<Mutation>& muts);
// Full-report metrics of a parent (real energy/area/delay and depth computed here, in node order).
Metrics parent_metrics(const Problem& p, const ParentState& s);
// Evaluates the circuit's outputs, items × out, for writing weights.
std::vector<int8_t> parent_outputs(const Problem& p, const ParentState& s);
// The whole chromosome (node and output genes), for writing it.
std::vector<int32_t> chromosome_genes(const Problem& p, const ParentState& s);
// Active gates by function id (0..28 then 100) for the gate statistics file.
std::vector<std::pair<int, uint64_t>> gate_histogram(const Problem& p, const ParentState& s);

// Per-thread scratch for offspring evaluation; no allocation once warmed up.
class Worker {
  public:
    explicit Worker(const Problem& p);
    // Evaluates parent+mutations. Costs are computed when the error is <= cost_threshold.
    // Returns the offspring's fitness; `neutral` tells if it provably equals the parent.
    Fitness evaluate(const ParentState& parent, const std::vector<Mutation>& muts, uint64_t cost_threshold,
                     bool& neutral);

  private:
    void sync(const ParentState& parent);
    void set_node_dirty(int node) { dirty_[static_cast<size_t>(node) >> 6] |= uint64_t{1} << (node & 63); }
    void compute_costs(Fitness& fit);

    const Problem& p_;
    uint64_t version_ = UINT64_MAX;
    std::vector<int32_t> genes_;
    std::vector<int8_t> vals_;
    std::vector<uint64_t> tree_;
    std::vector<uint64_t> dirty_;
    std::vector<std::pair<int32_t, int32_t>> gene_undo_;
    std::vector<std::pair<int32_t, int8_t>> val_undo_;
    std::vector<std::pair<int32_t, uint64_t>> tree_undo_;
    CostScratch cs_;
    // `nearest`: the parent's targets and this worker's assignment.
    const NearestTargets* targets_ = nullptr;
    NearestChoice choice_;
    // Incremental value→pin table (nearest, one item, one output pin per node).
    bool fast_nearest_ = false;
    uint32_t stamp_ = 0;
    std::vector<uint32_t> pin_stamp_;
    uint32_t value_stamp_[256] = {};
    std::vector<int32_t> changed_, affected_;
    Fitness evaluate_nearest_table(const ParentState& parent, uint64_t cost_threshold);
    void eval_columns_from(const ParentState& parent, int first, bool with_tree);
    std::vector<int> deferred_;
    // One dataset item, one output pin per node: branch-free node values from tables.
    bool fast_ = false;
    bool has_b_ = false;  // arity >= 2: binary functions read connection gene 1
    int8_t un_[30 * 256] = {};      // unary/constant value per function slot and input
    uint16_t un_off_[101] = {};     // function id -> slot * 256
    uint8_t kind_[101] = {};        // 0 unary/constant, 1 add, 2 sub, 3 mul, 4 and, 5 or, 6 xor
    uint8_t shift_[101] = {};       // 8 * kind
    uint8_t u0_[101] = {}, u1_[101] = {};  // reads connection gene 0 / 1
    uint64_t qe_[101] = {};         // quantized energy per function id
    std::vector<uint8_t> actp_;     // per pin: needed by an output (active sweep)
    std::vector<int32_t> list_;     // active nodes in order
    Fitness evaluate_active(const ParentState& parent, int first, uint64_t cost_threshold);
};

// The error of evolved output genes (shared by the full and incremental paths).
uint64_t compute_error(const Problem& p, const std::vector<int8_t>& vals, const int32_t* out_genes);

}  // namespace cgp

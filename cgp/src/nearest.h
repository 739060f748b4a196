// Nearest output assignment from the targets' value histogram. Every output gene is set to the
// window pin whose values are nearest its expected weights, so outputs with the same expected
// values (per dataset item) get the same pin: the error and the assignment depend only on the
// distinct targets and on how many outputs share each one, not on the number of outputs. A
// 409,600-weight layer with one dataset item has at most 256 distinct targets (plus the
// don't-care group); the per-output assignment is materialised only when a result is written.
#pragma once

#include <cstdint>
#include <vector>

#include "model.h"

namespace cgp {

// The outputs grouped by target. With one dataset item the groups are fixed: group t + 128 holds
// the outputs expecting t, group 256 the don't-care outputs. With several items, one group per
// distinct (expected values per item, items where the output is meaningful).
struct NearestTargets {
    static constexpr int kDontCareGroup = 256;
    int items = 1;
    int groups = 0;
    std::vector<int8_t> key;        // groups × items: expected values, don't care read as 0
    std::vector<uint8_t> counted;   // groups × items: 1 where the outputs count towards item d's error
    std::vector<uint64_t> count;    // outputs per group
    std::vector<int32_t> group_of;  // per output, its group (several items only)
    std::vector<uint64_t> meaningful;  // per item: outputs counting towards its error (MSE divisor)

    static NearestTargets from(const Problem& p);
    int group_of_output(const Problem& p, int j) const {
        if (items > 1) return group_of[static_cast<size_t>(j)];
        return j < p.data.meaningful[0] ? p.data.outputs[static_cast<size_t>(j)] + 128 : kDontCareGroup;
    }
};

// Scratch and result of one assignment; no allocation once warmed up.
struct NearestChoice {
    std::vector<int32_t> group_pin;  // per group: the pin its outputs read
    std::vector<int32_t> roots;      // distinct pins read by a non-empty group (the circuit's outputs)
    // One item: best pin (cheapest tree, then lowest) and its tree cost per value + 128.
    std::vector<int32_t> best_pin;
    std::vector<uint64_t> best_tree;
    // Several items: distinct value tuples among the window's pins (open addressing, stamped).
    std::vector<int32_t> slot_pin;
    std::vector<uint32_t> slot_stamp;
    std::vector<int32_t> candidates;
    std::vector<uint32_t> pin_stamp;
    std::vector<uint64_t> item_error;
    uint32_t stamp = 0;
    void prepare(const Layout& l, const NearestTargets& t);
};

// Tie rules (the same as the per-output assignment they replace): a target takes the present
// value nearest it; between values equally near, the one whose best pin has the cheaper tree, then
// the lower value. Among pins with the same value(s) the cheapest tree wins, then the lowest pin.
// With several items "nearest" is the smallest distance summed over all items (don't care read as
// 0), then the cheaper tree, then the lower pin.

// One item: the best pin per value among the window's pins.
void best_pin_per_value(const Layout& l, const int8_t* vals, const uint64_t* tree, NearestChoice& c);
// One item: assigns every group from c.best_pin / c.best_tree; returns the error.
uint64_t assign_from_best(const Problem& p, const NearestTargets& t, const int8_t* vals, NearestChoice& c);
// Any item count: scans the window's pins (vals are pins × items) and assigns every group; returns
// the error. Work: window pins, plus distinct value tuples × groups with several items.
uint64_t assign_nearest_groups(const Problem& p, const NearestTargets& t, const int8_t* vals, const uint64_t* tree,
                               NearestChoice& c);
// The output genes of the assignment (writes `out` genes).
void materialise_outputs(const Problem& p, const NearestTargets& t, const std::vector<int32_t>& group_pin, int32_t* outs);

}  // namespace cgp

// Chromosomes in statistics rows. A 256 x 31 grid's chromosome is ~160 KB of text, and with a
// chromosome logging threshold every improvement writes one: ~45 MB a minute. With
// `statistics_chromosomes: delta` a row holds only what a reader needs to rebuild the circuit
// from the previous chromosome row of the same run: the active nodes whose genes differ from
// that reconstruction, and the changed output genes,
//   ~([id]g0,...,gA)...(j:pin,...)        ([id] = node index + input_count, as the full form)
// The reconstruction has the parent's active subgraph and outputs, so it evaluates to the same
// weights, error, energy, delay and gate count; inactive genes may differ from the parent's.
// The first chromosome row of a run (and after a resume) is full; the result config holds the
// final chromosome in full.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model.h"

namespace cgp {

inline bool is_chromosome_delta(std::string_view text) { return !text.empty() && text.front() == '~'; }

class ChromosomeLog {
  public:
    ChromosomeLog(const Layout& layout, bool delta) : layout_(layout), delta_(delta) {}
    // The text for a row holding `genes`: full when not in delta mode or when no chromosome row
    // was written yet, else the delta. Remembers what a reader reconstructs.
    std::string text(const std::vector<int32_t>& genes);

  private:
    const Layout& layout_;
    bool delta_;
    std::vector<int32_t> logged_;  // the reader's reconstruction; empty = nothing logged yet
    std::vector<char> active_;
};

// `base` with a delta applied (throws CgpError 44 naming source:line for a malformed delta).
void apply_chromosome_delta(std::vector<int32_t>& base, std::string_view delta, const Layout& layout,
                            const std::string& source, long line);

// Nodes that reach an output (marks per node).
void mark_active_nodes(const std::vector<int32_t>& genes, const Layout& layout, std::vector<char>& active);

}  // namespace cgp

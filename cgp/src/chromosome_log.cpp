#include "chromosome_log.h"

#include "util.h"

namespace cgp {

void mark_active_nodes(const std::vector<int32_t>& genes, const Layout& l, std::vector<char>& active) {
    active.assign(static_cast<size_t>(l.nodes), 0);
    for (int j = 0; j < l.out; ++j) {
        const int pin = genes[static_cast<size_t>(l.node_genes) + j];
        if (pin >= l.in) active[static_cast<size_t>(l.node_of_pin(pin))] = 1;
    }
    // Connections point at earlier pins only, so one backward sweep reaches every active node.
    for (int n = l.nodes - 1; n >= 0; --n) {
        if (!active[static_cast<size_t>(n)]) continue;
        const size_t base = static_cast<size_t>(n) * l.block;
        const int used = l.used_inputs(genes[base + l.arity]);
        for (int k = 0; k < used; ++k) {
            const int pin = genes[base + k];
            if (pin >= l.in) active[static_cast<size_t>(l.node_of_pin(pin))] = 1;
        }
    }
}

std::string ChromosomeLog::text(const std::vector<int32_t>& genes) {
    const Layout& l = layout_;
    if (!delta_ || logged_.empty()) {
        if (delta_) logged_ = genes;
        return format_chromosome(genes, l);
    }
    mark_active_nodes(genes, l, active_);
    std::string s = "~";
    for (int n = 0; n < l.nodes; ++n) {
        if (!active_[static_cast<size_t>(n)]) continue;
        const size_t base = static_cast<size_t>(n) * l.block;
        bool same = true;
        for (int k = 0; k < l.block; ++k) same = same && logged_[base + k] == genes[base + k];
        if (same) continue;
        s += "([" + std::to_string(n + l.in) + ']';
        for (int k = 0; k < l.block; ++k) {
            if (k) s += ',';
            s += std::to_string(genes[base + k]);
            logged_[base + k] = genes[base + k];
        }
        s += ')';
    }
    s += '(';
    bool first = true;
    for (int j = 0; j < l.out; ++j) {
        const size_t g = static_cast<size_t>(l.node_genes) + j;
        if (logged_[g] == genes[g]) continue;
        if (!first) s += ',';
        s += std::to_string(j) + ':' + std::to_string(genes[g]);
        logged_[g] = genes[g];
        first = false;
    }
    s += ')';
    return s;
}

namespace {

// Reads a non-negative integer at `pos`; false if there is none.
bool read_number(std::string_view s, size_t& pos, int64_t& out) {
    const size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    return pos > start && parse_int64(s.substr(start, pos - start), out);
}

}  // namespace

void apply_chromosome_delta(std::vector<int32_t>& base, std::string_view d, const Layout& l, const std::string& source,
                            long line) {
    auto bad = [&](const std::string& what) { invalid(source, line, "chromosome delta: " + what); };
    if (!is_chromosome_delta(d)) bad("does not start with '~'");
    if (base.size() != static_cast<size_t>(l.genes)) bad("no earlier full chromosome in this run to apply it to");
    size_t pos = 1;
    int64_t v = 0;
    while (pos + 1 < d.size() && d[pos] == '(' && d[pos + 1] == '[') {
        pos += 2;
        if (!read_number(d, pos, v) || pos >= d.size() || d[pos] != ']') bad("malformed node id");
        const int64_t node = v - l.in;
        if (node < 0 || node >= l.nodes) bad("node id " + std::to_string(v) + " outside the grid");
        ++pos;
        const size_t at = static_cast<size_t>(node) * l.block;
        for (int k = 0; k < l.block; ++k) {
            if (k && (pos >= d.size() || d[pos++] != ',')) bad("node with too few genes");
            if (!read_number(d, pos, v)) bad("malformed gene");
            base[at + k] = static_cast<int32_t>(v);
        }
        if (pos >= d.size() || d[pos++] != ')') bad("node with too many genes");
    }
    if (pos >= d.size() || d[pos++] != '(') bad("missing output group");
    while (pos < d.size() && d[pos] != ')') {
        if (d[pos] == ',') ++pos;
        if (!read_number(d, pos, v) || v >= l.out || pos >= d.size() || d[pos++] != ':') bad("malformed output change");
        const int64_t j = v;
        if (!read_number(d, pos, v) || v >= l.win_max[l.cols] || v < l.win_min[l.cols]) bad("output pin outside its window");
        base[static_cast<size_t>(l.node_genes + j)] = static_cast<int32_t>(v);
    }
    if (pos + 1 != d.size()) bad("trailing text after the output group");
}

}  // namespace cgp

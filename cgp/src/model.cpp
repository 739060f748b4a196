#include "model.h"

#include <cmath>

#include "functions.h"
#include "util.h"

namespace cgp {

Layout Layout::from_config(const Config& cfg) {
    Layout l;
    l.in = static_cast<int>(cfg.input_count);
    l.out = static_cast<int>(cfg.output_count);
    l.rows = static_cast<int>(cfg.row_count);
    l.cols = static_cast<int>(cfg.col_count);
    l.arity = static_cast<int>(cfg.function_input_arity);
    l.fo = static_cast<int>(cfg.function_output_arity);
    l.look_back = static_cast<int>(cfg.look_back_parameter);
    l.items = static_cast<int>(cfg.dataset_size);
    l.function_count = static_cast<int>(cfg.function_count);
    l.nodes = l.rows * l.cols;
    l.pins = l.in + l.nodes * l.fo;
    l.block = l.arity + 1;
    l.node_genes = l.nodes * l.block;
    l.genes = l.node_genes + l.out;
    l.block_div = FastDiv(static_cast<uint32_t>(l.block));
    l.rows_div = FastDiv(static_cast<uint32_t>(l.rows));
    for (int f = 0; f < 30; ++f) {
        const int id = f == 29 ? kFunctionId : f;
        const int fa = function_arity(id, l.arity, l.items, l.fo);
        l.used[f] = static_cast<uint8_t>(fa < l.arity ? fa : l.arity);
    }
    l.win_min.resize(l.cols + 1);
    l.win_max.resize(l.cols + 1);
    for (int c = 0; c <= l.cols; ++c) {
        l.win_max[c] = l.in + c * l.rows * l.fo;
        l.win_min[c] = c < l.look_back ? 0 : l.in + (c - l.look_back) * l.rows * l.fo;
    }
    return l;
}

namespace {

// Whitespace tokenizer that remembers the line of every token for error messages.
struct Tokenizer {
    std::string_view text;
    size_t pos = 0;
    long line = 1;
    bool next(std::string_view& tok, long& tok_line) {
        while (pos < text.size()) {
            const char c = text[pos];
            if (c == '\n') ++line;
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
                ++pos;
                continue;
            }
            break;
        }
        if (pos >= text.size()) return false;
        const size_t start = pos;
        while (pos < text.size()) {
            const char c = text[pos];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') break;
            ++pos;
        }
        tok = text.substr(start, pos - start);
        tok_line = line;
        return true;
    }
};

std::string shorten(std::string_view s) {
    if (s.size() > 40) return std::string(s.substr(0, 40)) + "...";
    return std::string(s);
}

}  // namespace

Dataset parse_dataset(std::string_view text, const Config& cfg, const std::string& source_name) {
    Dataset d;
    d.items = static_cast<int>(cfg.dataset_size);
    d.in = static_cast<int>(cfg.input_count);
    d.out = static_cast<int>(cfg.output_count);
    d.inputs.assign(static_cast<size_t>(d.items) * d.in, 0);
    d.outputs.assign(static_cast<size_t>(d.items) * d.out, 0);
    d.meaningful.assign(d.items, d.out);
    Tokenizer tz{text};
    std::string_view tok;
    long line = 1;
    auto value_of = [&](std::string_view t, long at, const char* what) -> int8_t {
        int64_t v = 0;
        if (!parse_int64(t, v))
            invalid(source_name, at, std::string("expected an integer ") + what + " or 'x', got '" + shorten(t) + "'");
        if (v < -128 || v > 127)
            invalid(source_name, at, std::string(what) + " " + std::to_string(v) + " is outside int8 [-128, 127]");
        return static_cast<int8_t>(v);
    };
    for (int item = 0; item < d.items; ++item) {
        for (int i = 0; i < d.in; ++i) {
            if (!tz.next(tok, line))
                invalid(source_name, line, "too few tokens: item " + std::to_string(item + 1) + " needs " +
                                                  std::to_string(d.in) + " inputs, found " + std::to_string(i));
            d.inputs[static_cast<size_t>(item) * d.in + i] = (tok == "x") ? int8_t{0} : value_of(tok, line, "input");
        }
        int meaningful = d.out;
        for (int j = 0; j < d.out; ++j) {
            if (!tz.next(tok, line))
                invalid(source_name, line, "too few tokens: item " + std::to_string(item + 1) + " needs " +
                                                  std::to_string(d.out) + " outputs, found " + std::to_string(j));
            if (tok == "x") {
                if (meaningful == d.out) meaningful = j;
                continue;
            }
            const int8_t v = value_of(tok, line, "output");
            if (meaningful == d.out) d.outputs[static_cast<size_t>(item) * d.out + j] = v;
        }
        if (meaningful == 0 && d.out > 0)
            invalid(source_name, line, "item " + std::to_string(item + 1) + " has only don't-care ('x') outputs");
        d.meaningful[item] = meaningful;
    }
    return d;
}

GateTable parse_gate_parameters(std::string_view text, const Config& cfg, const std::string& source_name) {
    GateTable table;
    struct Row {
        GateCost cost;
        long line;
    };
    std::vector<Row> rows;
    long line_no = 0;
    for (auto raw : split_lines(text)) {
        ++line_no;
        const auto line = trim(raw);
        if (line.empty() || line.front() == '#') continue;
        Tokenizer tz{line};
        std::string_view tok[6];
        long ignored = 0;
        int n = 0;
        while (n < 6 && tz.next(tok[n], ignored)) ++n;
        if (n != 5)
            invalid(source_name, line_no,
                    "expected 5 columns 'quantized_energy energy area quantized_delay delay', found " +
                        std::to_string(n == 6 ? 6 : n) + (n == 6 ? " or more" : ""));
        Row r{{}, line_no};
        auto quantized = [&](std::string_view t, const char* what) -> uint64_t {
            uint64_t v = 0;
            if (parse_uint64(t, v)) return v;
            double d = 0;
            if (parse_double(t, d) && std::isinf(d) && d > 0) return UINT64_MAX;  // unknown: never chosen cheaply
            if (parse_double(t, d) && d >= 0 && d == std::floor(d) && d < 1.8e19) return static_cast<uint64_t>(d);
            invalid(source_name, line_no, std::string(what) + ": expected a non-negative integer, got '" + shorten(t) + "'");
        };
        auto real = [&](std::string_view t, const char* what) -> double {
            double d = 0;
            if (!parse_double(t, d)) invalid(source_name, line_no, std::string(what) + ": expected a number, got '" + shorten(t) + "'");
            return d;
        };
        r.cost.quantized_energy = quantized(tok[0], "quantized_energy");
        r.cost.energy = real(tok[1], "energy");
        r.cost.area = real(tok[2], "area");
        r.cost.quantized_delay = quantized(tok[3], "quantized_delay");
        r.cost.delay = real(tok[4], "delay");
        rows.push_back(r);
    }
    const int fc = static_cast<int>(cfg.function_count);
    const int plain = fc < 27 ? fc : 27;
    if (static_cast<int>(rows.size()) < plain)
        invalid(source_name, line_no,
                "gate file has " + std::to_string(rows.size()) + " lines, function_count " + std::to_string(fc) +
                    " needs at least " + std::to_string(plain));
    for (int f = 0; f < plain; ++f) table.cost[f] = rows[f].cost;
    if (fc > 27) {
        // Python writes mux_2to1..16to1 (lines 28-31) then demux_2to1..16to1 (32-35); pick the
        // variant wide enough for dataset_size. A 29-line file is read as MUX, DEMUX directly.
        int bits = 1;
        while (bits < 4 && (int64_t{1} << bits) < cfg.dataset_size) ++bits;
        int mux_line = 27, demux_line = 28;
        if (rows.size() >= 35) {
            mux_line = 27 + bits - 1;
            demux_line = 31 + bits - 1;
        }
        const int needed = rows.size() >= 35 ? 35 : (fc == 29 ? 29 : 28);
        if (static_cast<int>(rows.size()) < needed)
            invalid(source_name, line_no,
                    "gate file has " + std::to_string(rows.size()) + " lines, function_count " + std::to_string(fc) +
                        " needs " + std::to_string(needed) + " (MUX/DEMUX lines after the 27 plain gates)");
        table.cost[kFunctionMux] = rows[mux_line].cost;
        if (fc > 28) table.cost[kFunctionDemux] = rows[demux_line].cost;
    }
    table.cost[GateTable::slot(kFunctionId)] = GateCost{};
    return table;
}

namespace {

struct ChromosomeReader {
    std::string_view s;
    size_t pos = 0;
    const std::string& source;
    long line;

    [[noreturn]] void fail(const std::string& what) const {
        invalid(source, line, "chromosome: " + what + " at character " + std::to_string(pos + 1));
    }
    void skip_ws() {
        while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\r' || s[pos] == '\n')) ++pos;
    }
    void expect(char c) {
        if (pos >= s.size() || s[pos] != c) fail(std::string("expected '") + c + "'");
        ++pos;
    }
    bool peek(char c) const { return pos < s.size() && s[pos] == c; }
    int64_t number() {
        const size_t start = pos;
        if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        int64_t v = 0;
        if (!parse_int64(s.substr(start, pos - start), v)) {
            pos = start;
            fail("expected a number");
        }
        return v;
    }
};

}  // namespace

std::vector<int32_t> parse_chromosome(std::string_view text, const Layout& l, const std::string& source, long line) {
    text = trim(text);
    if (text.empty() || text == "null") invalid(source, line, "chromosome: missing (empty or 'null')");
    ChromosomeReader r{text, 0, source, line};
    r.expect('{');
    int64_t header[7];
    for (int i = 0; i < 7; ++i) {
        if (i) r.expect(',');
        header[i] = r.number();
    }
    r.expect('}');
    const char* names[] = {"input_count", "output_count", "col_count", "row_count", "function_input_arity"};
    const int64_t want[] = {l.in, l.out, l.cols, l.rows, l.arity};
    for (int i = 0; i < 5; ++i)
        if (header[i] != want[i])
            invalid(source, line, std::string("chromosome header ") + names[i] + " " + std::to_string(header[i]) +
                                      " does not match the config's " + std::to_string(want[i]));
    std::vector<int32_t> genes(static_cast<size_t>(l.genes));
    for (int n = 0; n < l.nodes; ++n) {
        r.expect('(');
        if (r.peek('[')) {
            ++r.pos;
            r.number();
            r.expect(']');
        }
        const int col_end = l.win_max[l.column_of(n)];
        for (int k = 0; k <= l.arity; ++k) {
            if (k) r.expect(',');
            const int64_t v = r.number();
            if (k < l.arity) {
                if (v < 0 || v >= col_end)
                    r.fail("node " + std::to_string(n) + " input " + std::to_string(v) + " is not a pin before its column (0.." +
                           std::to_string(col_end - 1) + ")");
            } else if (!is_known_function(v) || (v != kFunctionId && v >= l.function_count)) {
                r.fail("node " + std::to_string(n) + " function " + std::to_string(v) + " is not in the function set (0.." +
                       std::to_string(l.function_count - 1) + " or 100)");
            }
            genes[static_cast<size_t>(n) * l.block + k] = static_cast<int32_t>(v);
        }
        r.expect(')');
    }
    r.expect('(');
    for (int j = 0; j < l.out; ++j) {
        if (j) r.expect(',');
        const int64_t v = r.number();
        if (v < 0 || v >= l.pins) r.fail("output " + std::to_string(j) + " pin " + std::to_string(v) + " is outside 0.." + std::to_string(l.pins - 1));
        genes[static_cast<size_t>(l.node_genes) + j] = static_cast<int32_t>(v);
    }
    r.expect(')');
    r.skip_ws();
    if (r.pos != text.size()) r.fail("unexpected text after the output genes");
    return genes;
}

std::string format_chromosome(const std::vector<int32_t>& genes, const Layout& l) {
    std::string s;
    s.reserve(static_cast<size_t>(l.nodes) * 16 + static_cast<size_t>(l.out) * 6 + 64);
    s += '{';
    s += std::to_string(static_cast<unsigned>(l.in)) + ',' + std::to_string(static_cast<unsigned>(l.out)) + ',' +
         std::to_string(static_cast<unsigned>(l.cols)) + ',' + std::to_string(l.rows) + ',' +
         std::to_string(static_cast<unsigned>(l.arity)) + ',' + std::to_string(static_cast<unsigned>(l.look_back)) + ',' +
         std::to_string(static_cast<unsigned>(l.items)) + '}';
    for (int n = 0; n < l.nodes; ++n) {
        s += "([";
        s += std::to_string(n + l.in);
        s += ']';
        for (int k = 0; k <= l.arity; ++k) {
            if (k) s += ',';
            s += std::to_string(genes[static_cast<size_t>(n) * l.block + k]);
        }
        s += ')';
    }
    s += '(';
    for (int j = 0; j < l.out; ++j) {
        if (j) s += ',';
        s += std::to_string(genes[static_cast<size_t>(l.node_genes) + j]);
    }
    s += ')';
    return s;
}

std::vector<int32_t> random_chromosome(const Layout& l, Rng& rng) {
    std::vector<int32_t> genes(static_cast<size_t>(l.genes));
    for (int n = 0; n < l.nodes; ++n) {
        const int c = l.column_of(n);
        const int lo = l.win_min[c], hi = l.win_max[c];
        for (int k = 0; k < l.arity; ++k)
            genes[static_cast<size_t>(n) * l.block + k] = static_cast<int32_t>(lo + rng.below(static_cast<uint64_t>(hi - lo)));
        genes[static_cast<size_t>(n) * l.block + l.arity] = static_cast<int32_t>(rng.below(static_cast<uint64_t>(l.function_count)));
    }
    const int lo = l.win_min[l.cols], hi = l.win_max[l.cols];
    for (int j = 0; j < l.out; ++j)
        genes[static_cast<size_t>(l.node_genes) + j] = static_cast<int32_t>(lo + rng.below(static_cast<uint64_t>(hi - lo)));
    return genes;
}

}  // namespace cgp

#include "config.h"

#include <cstdio>
#include <functional>
#include <sstream>

#include "functions.h"
#include "util.h"

namespace cgp {

namespace {

struct KeyDef {
    using Setter = std::function<void(Config&, std::string_view, const Location&)>;
    using Text = std::function<std::string(const Config&)>;
    KeyDef(const char* key_, const char* long_flag_, const char* short_flag_, bool file_allowed_, Setter set_, Text dump_,
           bool dump_empty_ = false)
        : key(key_), long_flag(long_flag_), short_flag(short_flag_), file_allowed(file_allowed_), set(std::move(set_)),
          dump(std::move(dump_)), dump_empty(dump_empty_) {}
    const char* key;
    const char* long_flag;   // nullptr: not settable from the command line
    const char* short_flag;  // nullptr: no short form
    bool file_allowed;
    Setter set;
    Text dump;               // empty string result: not dumped...
    bool dump_empty = false;  // ...unless the empty value means something
    // Self-description (`cgp describe`) and the range checks of validate_config.
    KeyKind kind = KeyKind::Text;
    const char* help = "";
    double min = NAN, max = NAN;                       // inclusive bounds; NAN = unbounded
    std::function<double(const Config&)> number;        // numeric keys: the value range-checked
    std::function<std::string(const Config&)> show;     // the value as text when dump hides it
    std::vector<const char*> choices;
};

// Adds what `describe` reports to a key built by the macros below.
KeyDef described(KeyDef def, KeyKind kind, const char* help, double min = NAN, double max = NAN) {
    def.kind = kind;
    def.help = help;
    def.min = min;
    def.max = max;
    return def;
}

KeyDef numeric(KeyDef def, KeyKind kind, const char* help, std::function<double(const Config&)> number, double min = NAN,
               double max = NAN) {
    def = described(std::move(def), kind, help, min, max);
    def.number = std::move(number);
    return def;
}

int64_t get_int(std::string_view v, const Location& at, const char* key) {
    int64_t out = 0;
    if (parse_int64(v, out)) return out;
    double d = 0;
    // Python writes e.g. "5e7" or "150.0"; accept integral decimals.
    if (parse_double(v, d) && std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18)
        return static_cast<int64_t>(d);
    invalid(at.source, at.line, std::string(key) + ": expected an integer, got '" + std::string(v) + "'");
}

uint64_t get_uint(std::string_view v, const Location& at, const char* key) {
    uint64_t out = 0;
    if (parse_uint64(v, out)) return out;
    double d = 0;
    if (parse_double(v, d) && std::isfinite(d) && d >= 0 && d == std::floor(d) && d < 1.8e19)
        return static_cast<uint64_t>(d);
    invalid(at.source, at.line,
            std::string(key) + ": expected a non-negative integer, got '" + std::string(v) + "'");
}

double get_double(std::string_view v, const Location& at, const char* key) {
    double out = 0;
    if (parse_double(v, out)) return out;
    invalid(at.source, at.line, std::string(key) + ": expected a number, got '" + std::string(v) + "'");
}

// Error thresholds are integers in the error's unit; a decimal is truncated like the original's stoll.
uint64_t get_error_value(std::string_view v, const Location& at, const char* key) {
    double d = 0;
    uint64_t u = 0;
    if (parse_uint64(v, u)) return u;
    if (parse_double(v, d) && d >= 0) {
        if (std::isinf(d)) return UINT64_MAX;
        if (std::isfinite(d) && d < 1.8e19) return static_cast<uint64_t>(d);
    }
    invalid(at.source, at.line,
            std::string(key) + ": expected a non-negative error value, got '" + std::string(v) + "'");
}

std::string i2s(int64_t v) { return std::to_string(v); }
std::string u2s(uint64_t v) { return std::to_string(v); }

// Numeric keys carry `number` (for the range checks), paths none.
#define INT_KEY(name, lf, sf, help, ...)                                                                        \
    numeric(KeyDef{#name, lf, sf, true,                                                                       \
                     [](Config& c, std::string_view v, const Location& at) { c.name = get_int(v, at, #name); }, \
                     [](const Config& c) { return i2s(c.name); }},                                              \
              KeyKind::Int, help, number_of(&Config::name), __VA_ARGS__)
#define UINT_KEY(name, lf, sf, help, ...)                                                                        \
    numeric(KeyDef{#name, lf, sf, true,                                                                        \
                     [](Config& c, std::string_view v, const Location& at) { c.name = get_uint(v, at, #name); }, \
                     [](const Config& c) { return u2s(c.name); }},                                               \
              KeyKind::UInt, help, number_of(&Config::name), __VA_ARGS__)
#define DOUBLE_KEY(name, lf, sf, help, ...)                                                                        \
    numeric(KeyDef{#name, lf, sf, true,                                                                          \
                     [](Config& c, std::string_view v, const Location& at) { c.name = get_double(v, at, #name); }, \
                     [](const Config& c) { return format_shortest(c.name); }},                                     \
              KeyKind::Float, help, number_of(&Config::name), __VA_ARGS__)
#define PATH_KEY(name, lf, sf, help)                                                                    \
    described(KeyDef{#name, lf, sf, true,                                                               \
                     [](Config& c, std::string_view v, const Location&) { c.name = std::string(v); }, \
                     [](const Config& c) { return c.name; }, true},                                     \
              KeyKind::Path, help)

template <typename T>
std::function<double(const Config&)> number_of(T Config::*member) {
    return [member](const Config& c) { return static_cast<double>(c.*member); };
}

KeyDef with_number(KeyDef def, std::function<double(const Config&)> number) {
    def.number = std::move(number);
    return def;
}

KeyDef with_show(KeyDef def, std::function<std::string(const Config&)> show) {
    def.show = std::move(show);
    return def;
}

KeyDef with_choices(KeyDef def, std::vector<const char*> choices) {
    def.choices = std::move(choices);
    return def;
}

constexpr double kUnbounded = NAN;

const std::vector<KeyDef>& key_table() {
    static const std::vector<KeyDef> table = {
        INT_KEY(function_input_arity, "--function-input-arity", "-fi", "connection genes per node", 1, 64),
        INT_KEY(function_output_arity, "--function-output-arity", "-fo",
                            "output pins per node (2 lets DEMUX drive two pins)", 1, 64),
        INT_KEY(output_count, "--output-count", "-oc", "circuit outputs per dataset item (0 exits 2)", 0, 1e8),
        INT_KEY(input_count, "--input-count", "-ic", "circuit inputs per dataset item (0 exits 2)", 0, 1e8),
        INT_KEY(population_max, "--population-max", "-p", "population: 1 parent + N-1 offspring per generation",
                            2, 1e6),
        DOUBLE_KEY(mutation_max, "--mutation-max", "-m",
                               "fraction of the mutable genes an offspring changes at most (0..ceil(G*x) point mutations)",
                               0, 1),
        DOUBLE_KEY(learning_rate, "--learning-rate", nullptr, "legacy key of the original, parsed and dumped, unused",
                   kUnbounded),
        INT_KEY(row_count, "--row-count", "-r", "grid rows", 1),
        INT_KEY(col_count, "--col-count", "-c", "grid columns", 1),
        INT_KEY(look_back_parameter, "--look-back-parameter", "-l",
                            "levels-back: columns a node may read from (at most col_count)", 1),
        UINT_KEY(generation_count, "--generation-count", "-g", "generations per run at most (both phases)", kUnbounded),
        INT_KEY(number_of_runs, "--number-of-runs", "-n", "independent runs", 1),
        INT_KEY(function_count, "--function-count", "-fc",
                            "function ids 0..N-1 in use: 27 = arithmetic and logic, 29 adds MUX (27) and DEMUX (28)", 1,
                            kMaxFunctionCount),
        UINT_KEY(periodic_log_frequency, "--periodic-log-frequency", nullptr,
                 "generations between heartbeat lines on stdout", kUnbounded),
        PATH_KEY(input_file, "--input-file", "-i", "train.data: per item input_count inputs, then output_count outputs"),
        PATH_KEY(output_file, "--output-file", "-o", "result config per run ({run} template; - stdout)"),
        PATH_KEY(cgp_statistics_file, "--cgp-statistics-file", "-s",
                 "statistics CSV per run ({run} template; + stderr); evaluate:chromosomes reads its chromosome list here"),
        PATH_KEY(learning_rate_file, "--learning-rate-file", nullptr, "legacy key of the original, unused"),
        PATH_KEY(gate_parameters_file, "--gate-parameters-file", "-fp",
                 "gate cost table: per function id quantized_energy energy area quantized_delay delay (required)"),
        described(KeyDef{"train_weights_file", "--train-weights-file", nullptr, true,
                         [](Config& c, std::string_view v, const Location&) { c.train_weights_file = std::string(v); },
                         [](const Config& c) {
                             return (!c.train_weights_file.empty() && c.train_weights_file[0] == '#')
                                        ? std::string()
                                        : c.train_weights_file;
                         },
                         /* "" (default stream) differs from the default "#..." (discard): keep it */ false},
                  KeyKind::Path, "weights file per run ({run} template; a leading # discards)"),
        with_show(described(KeyDef{"starting_solution", "--starting-solution", nullptr, true,
                                   [](Config& c, std::string_view v, const Location&) { c.starting_solution = std::string(v); },
                                   [](const Config& c) { return c.starting_solution; }},
                            KeyKind::Text, "chromosome every run starts from (text, or @file); empty = random"),
                  [](const Config& c) { return c.starting_solution; }),
        with_number(described(KeyDef{"mse_threshold", "--mse-threshold", "-mse", true,
                                     [](Config& c, std::string_view v, const Location& at) {
                                         c.mse_threshold = get_error_value(v, at, "mse_threshold");
                                     },
                                     [](const Config& c) { return u2s(c.mse_threshold); }},
                              KeyKind::Error,
                              "error (in the error metric's unit) at or under which energy becomes the objective"),
                    number_of(&Config::mse_threshold)),
        DOUBLE_KEY(mse_chromosome_logging_threshold, "--mse-chromosome-logging-threshold", nullptr,
                   "statistics rows with an error at or under this also hold the chromosome; unset = only phase ends",
                   kUnbounded),
        INT_KEY(dataset_size, "--dataset-size", "-d", "dataset items (the MUX/DEMUX selector counts them)", 1),
        UINT_KEY(patience, "--patience", nullptr, "generations without strict improvement that end a phase", 1),
        DOUBLE_KEY(mse_early_stop, "--mse-early-stop", nullptr,
                   "stop a run when error <= this and every other set early stop holds; unset (nan) = ignored", kUnbounded),
        DOUBLE_KEY(energy_early_stop, "--energy-early-stop", nullptr, "... and energy <= this", kUnbounded),
        DOUBLE_KEY(delay_early_stop, "--delay-early-stop", nullptr, "... and delay <= this", kUnbounded),
        DOUBLE_KEY(depth_early_stop, "--depth-early-stop", nullptr, "... and depth <= this", kUnbounded),
        DOUBLE_KEY(gate_count_early_stop, "--gate-count-early-stop", nullptr, "... and gate count <= this", kUnbounded),
        INT_KEY(expected_value_min, "--expected-value-min", nullptr,
                            "constant of gate 25 (expected_value_min); arithmetic still wraps at int8", -128, 127),
        INT_KEY(expected_value_max, "--expected-value-max", nullptr,
                            "constant of gate 26 (expected_value_max); arithmetic still wraps at int8", -128, 127),
        // New keys.
        with_show(described(KeyDef{"seed", "--seed", nullptr, true,
                                   [](Config& c, std::string_view v, const Location& at) {
                                       c.seed = get_uint(v, at, "seed");
                                       c.seed_set = true;
                                   },
                                   [](const Config& c) { return c.seed_set ? u2s(c.seed) : std::string(); }},
                            KeyKind::UInt,
                            "random seed; run r's stream derives from (seed, r); unset = from the clock, written to the "
                            "result config"),
                  [](const Config& c) { return c.seed_set ? u2s(c.seed) : std::string(); }),
        with_show(with_number(described(KeyDef{"threads", "--threads", nullptr, true,
                                               [](Config& c, std::string_view v, const Location& at) {
                                                   c.threads = get_int(v, at, "threads");
                                               },
                                               [](const Config&) { return std::string(); }},
                                        KeyKind::Int, "OpenMP threads, 0 = all; results never depend on it; not dumped",
                                        0),
                              number_of(&Config::threads)),
                  [](const Config& c) { return i2s(c.threads); }),
        with_choices(
            described(KeyDef{"error_metric", "--error-metric", nullptr, true,
                             [](Config& c, std::string_view v, const Location& at) {
                                 if (v == "SE" || v == "se") c.error_metric = ErrorMetric::SE;
                                 else if (v == "MSE" || v == "mse") c.error_metric = ErrorMetric::MSE;
                                 else if (v == "AE" || v == "ae") c.error_metric = ErrorMetric::AE;
                                 else invalid(at.source, at.line, "error_metric: expected SE, MSE or AE, got '" + std::string(v) + "'");
                             },
                             [](const Config& c) { return std::string(metric_name(c.error_metric)); }},
                      KeyKind::Choice,
                      "SE: sum of squared errors; MSE: per item SE / meaningful outputs (integer division), summed; "
                      "AE: sum of absolute errors"),
            {"SE", "MSE", "AE"}),
        with_choices(described(KeyDef{"output_assignment", "--output-assignment", nullptr, true,
                                      [](Config& c, std::string_view v, const Location& at) {
                                          if (v == "evolve") c.output_assignment = OutputAssignment::Evolve;
                                          else if (v == "nearest") c.output_assignment = OutputAssignment::Nearest;
                                          else invalid(at.source, at.line, "output_assignment: expected evolve or nearest, got '" + std::string(v) + "'");
                                      },
                                      [](const Config& c) {
                                          return std::string(c.output_assignment == OutputAssignment::Evolve ? "evolve" : "nearest");
                                      }},
                               KeyKind::Choice,
                               "evolve: output genes mutate (the original); nearest: each output takes the reachable "
                               "value nearest its expected weight"),
                     {"evolve", "nearest"}),
        with_show(described(KeyDef{"checkpoint_file", "--checkpoint-file", nullptr, true,
                                   [](Config& c, std::string_view v, const Location&) { c.checkpoint_file = std::string(v); },
                                   [](const Config&) { return std::string(); }},
                            KeyKind::Path,
                            "checkpoint per run ({run} template), written atomically; train resumes from it; not dumped"),
                  [](const Config& c) { return c.checkpoint_file; }),
        with_show(with_number(described(KeyDef{"checkpoint_every", "--checkpoint-every", nullptr, true,
                                               [](Config& c, std::string_view v, const Location& at) {
                                                   c.checkpoint_every = get_double(v, at, "checkpoint_every");
                                               },
                                               [](const Config&) { return std::string(); }},
                                        KeyKind::Float,
                                        "seconds between checkpoints (0 = only on SIGTERM/SIGINT); not dumped", 0, 1e300),
                              number_of(&Config::checkpoint_every)),
                  [](const Config& c) { return format_shortest(c.checkpoint_every); }),
        with_show(with_number(described(KeyDef{"time_budget", "--time-budget", nullptr, true,
                                               [](Config& c, std::string_view v, const Location& at) {
                                                   c.time_budget = get_double(v, at, "time_budget");
                                               },
                                               [](const Config& c) {
                                                   return c.time_budget > 0 ? format_shortest(c.time_budget) : std::string();
                                               }},
                                        KeyKind::Float,
                                        "wall-clock seconds per run, 0 = none; when spent the run finishes normally "
                                        "(results then depend on timing)",
                                        0, 1e300),
                              number_of(&Config::time_budget)),
                  [](const Config& c) { return format_shortest(c.time_budget); }),
        with_show(with_number(described(KeyDef{"energy_mutation_max", "--energy-mutation-max", nullptr, true,
                                               [](Config& c, std::string_view v, const Location& at) {
                                                   c.energy_mutation_max = get_int(v, at, "energy_mutation_max");
                                               },
                                               [](const Config& c) {
                                                   return c.energy_mutation_max != Config::kDefaultEnergyMutationMax
                                                              ? i2s(c.energy_mutation_max)
                                                              : std::string();
                                               }},
                                        KeyKind::Int,
                                        "point mutations per offspring at most (1..N) once the error is at or under the "
                                        "threshold, and with nearest assignment in both phases; 0 = mutation_max "
                                        "everywhere (the original)",
                                        0, 1e9),
                              number_of(&Config::energy_mutation_max)),
                  [](const Config& c) { return i2s(c.energy_mutation_max); }),
        with_show(with_choices(described(KeyDef{"timestamps", "--timestamps", nullptr, true,
                                                [](Config& c, std::string_view v, const Location& at) {
                                                    if (v == "wall") c.timestamps_zero = false;
                                                    else if (v == "zero") c.timestamps_zero = true;
                                                    else invalid(at.source, at.line, "timestamps: expected wall or zero, got '" + std::string(v) + "'");
                                                },
                                                [](const Config&) { return std::string(); }},
                                         KeyKind::Choice,
                                         "wall: seconds since the run started; zero: 0 in the statistics timestamp "
                                         "column, for byte-identical comparisons; not dumped"),
                               {"wall", "zero"}),
                  [](const Config& c) { return std::string(c.timestamps_zero ? "zero" : "wall"); }),
        with_show(with_choices(described(KeyDef{"statistics_chromosomes", "--statistics-chromosomes", nullptr, true,
                                                [](Config& c, std::string_view v, const Location& at) {
                                                    if (v == "full") c.statistics_delta = false;
                                                    else if (v == "delta") c.statistics_delta = true;
                                                    else invalid(at.source, at.line, "statistics_chromosomes: expected full or delta, got '" + std::string(v) + "'");
                                                },
                                                [](const Config& c) { return std::string(c.statistics_delta ? "delta" : ""); }},
                                         KeyKind::Choice,
                                         "full: every chromosome row holds the whole chromosome (the original); delta: "
                                         "only the active genes changed since the run's previous chromosome row (a run's "
                                         "first chromosome row is full); readers rebuild the circuit; dumped only when delta"),
                               {"full", "delta"}),
                  [](const Config& c) { return std::string(c.statistics_delta ? "delta" : "full"); }),
        with_show(with_number(described(KeyDef{"start_run", "--start-run", nullptr, false,
                                               [](Config& c, std::string_view v, const Location& at) {
                                                   c.start_run = get_int(v, at, "start_run");
                                               },
                                               [](const Config&) { return std::string(); }},
                                        KeyKind::Int, "0-based run to start from (at most number_of_runs)", 0),
                              number_of(&Config::start_run)),
                  [](const Config& c) { return i2s(c.start_run); }),
        with_show(described(KeyDef{"start_generation", "--start-generation", nullptr, false,
                                   [](Config& c, std::string_view v, const Location& at) {
                                       c.start_generation = get_int(v, at, "start_generation");
                                   },
                                   [](const Config&) { return std::string(); }},
                            KeyKind::Int, "accepted for compatibility with the original; resuming uses checkpoints"),
                  [](const Config& c) { return i2s(c.start_generation); }),
    };
    return table;
}

const KeyDef* find_key(std::string_view key) {
    for (const auto& k : key_table())
        if (key == k.key) return &k;
    return nullptr;
}

const KeyDef* find_flag(std::string_view flag) {
    for (const auto& k : key_table()) {
        if (k.long_flag && flag == k.long_flag) return &k;
        if (k.short_flag && flag == k.short_flag) return &k;
    }
    return nullptr;
}

}  // namespace

const char* kind_name(KeyKind k) {
    switch (k) {
        case KeyKind::Int: return "int";
        case KeyKind::UInt: return "uint";
        case KeyKind::Error: return "error";
        case KeyKind::Float: return "float";
        case KeyKind::Path: return "path";
        case KeyKind::Text: return "text";
        case KeyKind::Choice: return "choice";
    }
    return "text";
}

std::vector<KeyDescription> describe_keys() {
    const Config defaults;
    std::vector<KeyDescription> out;
    for (const auto& k : key_table()) {
        KeyDescription d;
        d.key = k.key;
        d.long_flag = k.long_flag ? k.long_flag : "";
        d.short_flag = k.short_flag ? k.short_flag : "";
        d.kind = k.kind;
        d.command_line_only = !k.file_allowed;
        d.default_text = k.show ? k.show(defaults) : k.dump(defaults);
        const bool numeric_kind = k.kind == KeyKind::Int || k.kind == KeyKind::UInt || k.kind == KeyKind::Error ||
                                  k.kind == KeyKind::Float;
        d.has_default = numeric_kind ? (!d.default_text.empty() && d.default_text != "nan") : true;
        d.min = k.min;
        d.max = k.max;
        for (const char* c : k.choices) d.choices.emplace_back(c);
        d.help = k.help;
        out.push_back(std::move(d));
    }
    return out;
}

const char* metric_name(ErrorMetric m) {
    switch (m) {
        case ErrorMetric::SE: return "SE";
        case ErrorMetric::MSE: return "MSE";
        case ErrorMetric::AE: return "AE";
    }
    return "SE";
}

Location Config::location_of(const std::string& key) const {
    const auto it = where.find(key);
    if (it != where.end()) return it->second;
    return Location{"<defaults>", 0};
}

Config parse_config_text(std::string_view text, const std::string& source_name) {
    Config cfg;
    long line_no = 0;
    for (auto raw : split_lines(text)) {
        ++line_no;
        const auto line = trim(raw);
        if (line.empty() || line.front() == '#') continue;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos)
            invalid(source_name, line_no, "expected 'key: value', found no ':'");
        const std::string key(trim(line.substr(0, colon)));
        const auto value = trim(line.substr(colon + 1));
        if (key.empty()) invalid(source_name, line_no, "empty key before ':'");
        const Location at{source_name, line_no};
        if (key == "best_solution") {
            cfg.best_solution = std::string(value);
            continue;
        }
        if (key == "evolution_steps_made") {
            cfg.evolution_steps_made = get_uint(value, at, "evolution_steps_made");
            continue;
        }
        const KeyDef* def = find_key(key);
        if (!def) {
            cfg.extra.emplace_back(key, std::string(value));
            continue;
        }
        if (!def->file_allowed)
            invalid(source_name, line_no, key + " may only be given on the command line (--" + key + ")");
        def->set(cfg, value, at);
        cfg.where[key] = at;
    }
    return cfg;
}

void apply_arguments(Config& cfg, const std::vector<std::string>& args, int first_index) {
    const std::string src = "<command line>";
    for (size_t i = 0; i < args.size(); ++i) {
        const long idx = first_index + static_cast<long>(i);
        const std::string& flag = args[i];
        if (flag == "--progress") {
            cfg.progress = true;
            continue;
        }
        const KeyDef* def = find_flag(flag);
        if (!def) invalid(src, idx, "unknown flag '" + flag + "' (see cgp/README.md for the flags)");
        if (i + 1 >= args.size()) invalid(src, idx, "flag '" + flag + "' needs a value");
        const Location at{src, idx + 1};
        def->set(cfg, args[i + 1], at);
        cfg.where[def->key] = at;
        ++i;
    }
}

void validate_config(const Config& c) {
    auto fail = [&](const char* key, const std::string& what) {
        const Location at = c.location_of(key);
        invalid(at.source, at.line, what);
    };
    // Ranges declared in the key table (the ones `cgp describe` reports).
    for (const auto& k : key_table()) {
        if (!k.number || (std::isnan(k.min) && std::isnan(k.max))) continue;
        const double v = k.number(c);
        const bool below = !std::isnan(k.min) && !(v >= k.min);
        const bool above = !std::isnan(k.max) && !(v <= k.max);
        if (!below && !above && std::isfinite(v)) continue;
        const std::string got = k.kind == KeyKind::Float ? format_shortest(v) : i2s(static_cast<int64_t>(v));
        std::string range;
        if (std::isnan(k.max)) range = k.min == 1 && k.kind != KeyKind::Float ? "> 0" : ">= " + format_shortest(k.min);
        else range = "within [" + format_shortest(k.min) + ", " + format_shortest(k.max) + "]";
        fail(k.key, std::string(k.key) + " must be " + range + ", got " + got);
    }
    if (c.look_back_parameter > c.col_count)
        fail("look_back_parameter", "look_back_parameter " + std::to_string(c.look_back_parameter) +
                                        " reaches beyond the " + std::to_string(c.col_count) + " columns");
    // Limits that keep every index in 32 bits and every buffer reasonable.
    const long double nodes = static_cast<long double>(c.row_count) * c.col_count;
    if (nodes > 50'000'000.0L) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.3Lg", nodes);
        fail("row_count", std::string("grid of ") + buf + " nodes is too large (at most 5e7)");
    }
    const long double pins = c.input_count + nodes * c.function_output_arity;
    const long double genes = nodes * (c.function_input_arity + 1) + c.output_count;
    if (pins > 1.0e9L || genes > 1.0e9L || c.output_count > 100'000'000 || c.input_count > 100'000'000)
        fail("output_count", "chromosome too large");
    if (static_cast<long double>(c.dataset_size) * (c.input_count + c.output_count) > 1.0e9L)
        fail("dataset_size", "dataset too large");
    if (c.start_run > c.number_of_runs) fail("start_run", "start_run must be within [0, number_of_runs]");
}

std::string dump_config(const Config& c) {
    std::ostringstream out;
    for (const auto& k : key_table()) {
        if (!k.file_allowed) continue;
        std::string v = k.dump(c);
        const bool empty_weights = std::string(k.key) == "train_weights_file" && c.train_weights_file.empty();
        if (v.empty() && !k.dump_empty && !empty_weights) continue;
        out << k.key << ':' << (v.empty() ? "" : " ") << v << '\n';
    }
    return out.str();
}

std::string dump_extra(const Config& c) {
    std::string out;
    for (const auto& [k, v] : c.extra) out += k + ": " + v + "\n";
    return out;
}

uint64_t config_fingerprint(const Config& c) {
    // Everything that shapes the evolution; file names and thread counts are excluded.
    std::ostringstream s;
    s << c.function_input_arity << ' ' << c.function_output_arity << ' ' << c.output_count << ' '
      << c.input_count << ' ' << c.population_max << ' ' << format_shortest(c.mutation_max) << ' '
      << c.row_count << ' ' << c.col_count << ' ' << c.look_back_parameter << ' ' << c.generation_count
      << ' ' << c.number_of_runs << ' ' << c.function_count << ' ' << c.mse_threshold << ' '
      << c.dataset_size << ' ' << c.patience << ' ' << c.seed << ' ' << metric_name(c.error_metric) << ' '
      << static_cast<int>(c.output_assignment) << ' ' << c.expected_value_min << ' ' << c.expected_value_max
      << ' ' << c.starting_solution;
    // Appended only when not the default, so checkpoints of default runs keep their fingerprint.
    if (c.energy_mutation_max != Config::kDefaultEnergyMutationMax) s << " emm " << c.energy_mutation_max;
    return fnv1a(s.str());
}

}  // namespace cgp

#include "engine.h"

#include <omp.h>

#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>

#include "chromosome_log.h"
#include "describe.h"
#include "functions.h"
#include "io.h"
#include "threads.h"
#include "util.h"

namespace cgp {

std::atomic<bool> g_stop_requested{false};

namespace {

extern "C" void on_stop_signal(int) { g_stop_requested.store(true); }

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// (better-or-equal, equal) of offspring `a` against parent `b` (spec §5.4). Equal offspring are
// accepted in both phases so neutral drift continues while energy is minimised.
std::pair<bool, bool> dominates(const Fitness& a, const Fitness& b, uint64_t threshold) {
    if (threshold < a.error || threshold < b.error) return {a.error <= b.error, a.error == b.error};
    if (a.quantized_energy != b.quantized_energy) return {a.quantized_energy < b.quantized_energy, false};
    if (a.error != b.error) return {a.error < b.error, false};
    if (a.quantized_delay != b.quantized_delay) return {a.quantized_delay < b.quantized_delay, false};
    if (a.gate_count != b.gate_count) return {a.gate_count < b.gate_count, false};
    return {true, true};
}

std::string csv_row(long run, uint64_t generation, double timestamp, const Metrics& m, const std::string& chromosome) {
    char ts[64];
    std::snprintf(ts, sizeof ts, "%f", timestamp);
    std::string s;
    s += std::to_string(run) + "," + std::to_string(generation) + ",\"" + ts + "\",";
    s += std::to_string(m.fit.error) + "," + std::to_string(m.fit.quantized_energy) + "," + format_g12(m.energy) + "," +
         format_g12(m.area) + "," + std::to_string(m.fit.quantized_delay) + "," + format_g12(m.delay) + "," +
         std::to_string(m.depth) + "," + std::to_string(m.fit.gate_count) + ",\"" + chromosome + "\"\n";
    return s;
}

// JSON has no inf/nan: unknown values become null.
std::string json_number(double v) { return std::isfinite(v) ? format_g12(v) : std::string("null"); }

std::string best_solution_line(const Metrics& m, const std::string& chromosome) {
    return "best_solution: error:" + std::to_string(m.fit.error) + " quantized_energy:" + std::to_string(m.fit.quantized_energy) +
           " energy:" + format_g12(m.energy) + " area:" + format_g12(m.area) + " quantized_delay:" +
           std::to_string(m.fit.quantized_delay) + " delay:" + format_g12(m.delay) + " depth:" + std::to_string(m.depth) +
           " gate_count:" + std::to_string(m.fit.gate_count) + " chromosome:" + chromosome + "\n";
}

std::string weights_text(const Problem& p, const std::vector<int8_t>& outs) {
    const Layout& l = p.layout;
    std::string s;
    s.reserve(static_cast<size_t>(l.items) * l.out * 5);
    for (int d = 0; d < l.items; ++d) {
        for (int j = 0; j < l.out; ++j) {
            if (j) s += ' ';
            s += std::to_string(static_cast<int>(outs[static_cast<size_t>(d) * l.out + j]));
        }
        s += '\n';
    }
    return s;
}

// State of one run at a generation boundary: everything a checkpoint must hold.
struct RunState {
    int run = 0;
    bool fresh = true;  // not started yet: initialise from the seed
    uint64_t generation = 0;
    int phase = 1;
    uint64_t threshold = 0;
    uint64_t no_change = 0;
    uint64_t steps = 0;
    double elapsed = 0;
    int64_t stats_bytes = -1, output_bytes = -1, weights_bytes = -1;
    std::vector<int32_t> parent;
};

constexpr const char* kCheckpointMagic = "cgp-checkpoint 1";

uint64_t problem_fingerprint(const Problem& p) {
    uint64_t h = config_fingerprint(p.cfg);
    h = fnv1a(std::string_view(reinterpret_cast<const char*>(p.data.inputs.data()), p.data.inputs.size()), h);
    h = fnv1a(std::string_view(reinterpret_cast<const char*>(p.data.outputs.data()), p.data.outputs.size()), h);
    for (const auto& c : p.gates.cost) h = fnv1a(std::to_string(c.quantized_energy) + " " + std::to_string(c.quantized_delay), h);
    return h;
}

std::string checkpoint_text(const Problem& p, const RunState& s) {
    char el[64];
    std::snprintf(el, sizeof el, "%a", s.elapsed);
    std::ostringstream o;
    o << kCheckpointMagic << '\n'
      << "fingerprint " << problem_fingerprint(p) << '\n'
      << "seed " << p.cfg.seed << '\n'
      << "run " << s.run << '\n'
      << "fresh " << (s.fresh ? 1 : 0) << '\n'
      << "generation " << s.generation << '\n'
      << "phase " << s.phase << '\n'
      << "threshold " << s.threshold << '\n'
      << "no_change " << s.no_change << '\n'
      << "steps " << s.steps << '\n'
      << "elapsed " << el << '\n'
      << "stats_bytes " << s.stats_bytes << '\n'
      << "output_bytes " << s.output_bytes << '\n'
      << "weights_bytes " << s.weights_bytes << '\n'
      << "parent " << (s.fresh ? std::string("null") : format_chromosome(s.parent, p.layout)) << '\n'
      << "end\n";
    return o.str();
}

RunState parse_checkpoint(const Problem& p, const std::string& text, const std::string& source) {
    RunState s;
    auto lines = split_lines(text);
    if (lines.empty() || trim(lines[0]) != kCheckpointMagic) invalid(source, 1, "not a cgp checkpoint");
    bool ended = false;
    for (size_t i = 1; i < lines.size(); ++i) {
        const auto line = trim(lines[i]);
        const long at = static_cast<long>(i + 1);
        if (line == "end") {
            ended = true;
            break;
        }
        const auto sp = line.find(' ');
        if (sp == std::string_view::npos) invalid(source, at, "malformed checkpoint line");
        const auto key = line.substr(0, sp);
        const auto val = trim(line.substr(sp + 1));
        uint64_t u = 0;
        int64_t v = 0;
        auto need_u = [&]() {
            if (!parse_uint64(val, u)) invalid(source, at, "malformed number in checkpoint");
            return u;
        };
        auto need_i = [&]() {
            if (!parse_int64(val, v)) invalid(source, at, "malformed number in checkpoint");
            return v;
        };
        if (key == "fingerprint") {
            if (need_u() != problem_fingerprint(p))
                invalid(source, at, "checkpoint was written for a different config, data or gate file; delete it to start afresh");
        } else if (key == "seed") {
            need_u();
        } else if (key == "run") s.run = static_cast<int>(need_i());
        else if (key == "fresh") s.fresh = need_i() != 0;
        else if (key == "generation") s.generation = need_u();
        else if (key == "phase") s.phase = static_cast<int>(need_i());
        else if (key == "threshold") s.threshold = need_u();
        else if (key == "no_change") s.no_change = need_u();
        else if (key == "steps") s.steps = need_u();
        else if (key == "elapsed") s.elapsed = std::strtod(std::string(val).c_str(), nullptr);
        else if (key == "stats_bytes") s.stats_bytes = need_i();
        else if (key == "output_bytes") s.output_bytes = need_i();
        else if (key == "weights_bytes") s.weights_bytes = need_i();
        else if (key == "parent") {
            if (val != "null") s.parent = parse_chromosome(val, p.layout, source, at);
        } else invalid(source, at, "unknown checkpoint key '" + std::string(key) + "'");
    }
    if (!ended) invalid(source, static_cast<long>(lines.size()), "checkpoint is truncated");
    if (s.run < 0 || s.run >= p.cfg.number_of_runs || (s.phase != 1 && s.phase != 2) || (!s.fresh && s.parent.empty()))
        invalid(source, 1, "checkpoint state does not fit the config");
    return s;
}

uint64_t run_seed_of(const Problem& p, int run) { return mix64(p.cfg.seed ^ mix64(0x5EEDULL + static_cast<uint64_t>(run))); }

class Trainer {
  public:
    Trainer(Problem& p, const TrainHooks& hooks) : p_(p), hooks_(hooks) {
        const int threads = omp_get_max_threads();
        for (int t = 0; t < threads; ++t) workers_.emplace_back(p_);
        lambda_ = static_cast<int>(p_.cfg.population_max - 1);
        muts_.resize(static_cast<size_t>(lambda_));
        fits_.resize(static_cast<size_t>(lambda_));
        neutral_.resize(static_cast<size_t>(lambda_));
        // Small grids finish an offspring faster than threads synchronise: run them serially.
        // Otherwise the governor measures which is faster under the machine's current load.
        governor_ = ParallelGovernor(threads > 1 && lambda_ > 1 &&
                                     static_cast<int64_t>(p_.layout.nodes) * p_.layout.items + p_.layout.out >= 2000);
    }

    // Returns kExitOk or kExitInterrupted.
    int run(RunState s);

  private:
    void write_checkpoint(const RunState& s);
    const Metrics& metrics();
    bool early_stop();
    void progress(const RunState& s, bool force);

    Problem& p_;
    const TrainHooks& hooks_;
    std::vector<Worker> workers_;
    int lambda_;
    ParallelGovernor governor_{false};
    std::vector<std::vector<Mutation>> muts_;
    std::vector<Fitness> fits_;
    std::vector<char> neutral_;
    ParentState parent_;
    Metrics metrics_;
    uint64_t metrics_version_ = 0;
    std::string ckpt_path_, stats_path_, output_path_, weights_path_;
    Clock::time_point last_progress_{};
    uint64_t evals_since_progress_ = 0;
};

const Metrics& Trainer::metrics() {
    if (metrics_version_ != parent_.version) {
        metrics_ = parent_metrics(p_, parent_);
        metrics_version_ = parent_.version;
    }
    return metrics_;
}

bool Trainer::early_stop() {
    const Config& c = p_.cfg;
    const Fitness& f = parent_.fit;
    if (!std::isnan(c.mse_early_stop) && !(static_cast<double>(f.error) <= c.mse_early_stop)) return false;
    const Metrics& m = metrics();
    if (!std::isnan(c.energy_early_stop) && !(m.energy <= c.energy_early_stop)) return false;
    if (!std::isnan(c.delay_early_stop) && !(m.delay <= c.delay_early_stop)) return false;
    if (!std::isnan(c.depth_early_stop) && !(m.depth <= c.depth_early_stop)) return false;
    if (!std::isnan(c.gate_count_early_stop) && !(f.gate_count <= c.gate_count_early_stop)) return false;
    return true;
}

void Trainer::write_checkpoint(const RunState& s) {
    if (ckpt_path_.empty()) return;
    RunState c = s;
    c.stats_bytes = file_size_or(stats_path_, -1);
    c.output_bytes = file_size_or(output_path_, -1);
    c.weights_bytes = file_size_or(weights_path_, -1);
    write_atomic(ckpt_path_, checkpoint_text(p_, c));
}

void Trainer::progress(const RunState& s, bool force) {
    if (!p_.cfg.progress) return;
    const auto now = Clock::now();
    const double dt = std::chrono::duration<double>(now - last_progress_).count();
    if (!force && dt < 0.5) return;
    const double rate = dt > 0 ? static_cast<double>(evals_since_progress_) / dt : 0.0;
    char buf[512];
    const Fitness& f = parent_.fit;
    std::snprintf(buf, sizeof buf,
                  "PROGRESS {\"run\": %d, \"runs\": %" PRId64 ", \"generation\": %" PRIu64 ", \"phase\": %d, \"error\": %" PRIu64
                  ", \"quantized_energy\": %" PRIu64 ", \"energy\": %s, \"evaluations_per_second\": %.1f}\n",
                  s.run + 1, p_.cfg.number_of_runs, s.generation, s.phase, f.error, f.quantized_energy,
                  json_number(metrics().energy).c_str(), rate);
    std::fputs(buf, stderr);
    std::fflush(stderr);
    last_progress_ = now;
    evals_since_progress_ = 0;
}

int Trainer::run(RunState s) {
    const Config& c = p_.cfg;
    const Layout& l = p_.layout;
    const long run_no = s.run + 1;
    ckpt_path_ = c.checkpoint_file.empty() ? std::string() : expand_template(c.checkpoint_file, run_no);
    stats_path_ = expand_template(c.cgp_statistics_file, run_no);
    output_path_ = expand_template(c.output_file, run_no);
    weights_path_ = expand_template(c.train_weights_file, run_no);
    const uint64_t run_seed = run_seed_of(p_, s.run);
    Output stats;
    if (s.fresh) {
        stats = Output(stats_path_, false);
        stats.write(statistics_header());
        std::vector<int32_t> genes;
        if (!c.starting_solution.empty()) {
            genes = parse_chromosome(c.starting_solution, l, c.location_of("starting_solution").source,
                                     c.location_of("starting_solution").line);
        } else {
            Rng rng(mix64(run_seed ^ 0x1217ULL));
            genes = random_chromosome(l, rng);
        }
        build_parent(p_, std::move(genes), parent_);
        s.fresh = false;
        s.generation = 0;
        s.phase = 1;
        s.threshold = c.mse_threshold;  // per run: a raised threshold never carries over
        s.no_change = 0;
        s.steps = 0;
        s.elapsed = 0;
        s.parent = chromosome_genes(p_, parent_);
        write_checkpoint(s);
    } else {
        truncate_to(stats_path_, s.stats_bytes);
        truncate_to(output_path_, s.output_bytes);
        truncate_to(weights_path_, s.weights_bytes);
        stats = Output(stats_path_, true);
        build_parent(p_, s.parent, parent_);
    }
    const auto start = Clock::now();
    const double base_elapsed = s.elapsed;
    auto last_ckpt = start;
    last_progress_ = start;
    evals_since_progress_ = 0;
    const bool log_chromosomes = !std::isnan(c.mse_chromosome_logging_threshold);
    const bool nearest = c.output_assignment == OutputAssignment::Nearest;
    const uint64_t mutable_genes = nearest ? static_cast<uint64_t>(l.node_genes) : static_cast<uint64_t>(l.genes);
    (void)mutable_genes;
    auto timestamp = [&]() { return c.timestamps_zero ? 0.0 : base_elapsed + seconds_since(start); };
    // A resumed run starts a fresh log: its first chromosome row is full again.
    ChromosomeLog chromosome_log(l, c.statistics_delta);
    auto log_row = [&](bool with_chromosome) {
        const Metrics& m = metrics();
        const std::string chrom = with_chromosome ? chromosome_log.text(chromosome_genes(p_, parent_)) : std::string();
        stats.write(csv_row(run_no, s.generation, timestamp(), m, chrom));
    };

    bool finished = false;
    while (!finished) {
        // Generation boundary: the state `s` + parent genes is complete here.
        s.elapsed = base_elapsed + seconds_since(start);
        if (g_stop_requested.load() || (hooks_.stop_at && hooks_.stop_at(s.run, s.generation))) {
            s.parent = chromosome_genes(p_, parent_);
            write_checkpoint(s);
            return kExitInterrupted;
        }
        if (c.checkpoint_every > 0 && seconds_since(last_ckpt) >= c.checkpoint_every) {
            s.parent = chromosome_genes(p_, parent_);
            write_checkpoint(s);
            last_ckpt = Clock::now();
        }
        progress(s, false);
        if (s.generation >= c.generation_count) break;
        if (c.time_budget > 0 && s.elapsed >= c.time_budget) break;

        const uint64_t threshold = s.threshold;
        const ParentState& parent = parent_;
        const uint64_t gen = s.generation;
        // Few mutations per offspring in the energy phase, and with nearest assignment always:
        // there the outputs follow the values, so a small change is the useful step.
        const bool few_mutations = parent.fit.error <= threshold || c.output_assignment == OutputAssignment::Nearest;
        const auto offspring_start = Clock::now();
#pragma omp parallel for schedule(dynamic, 1) if (governor_.parallel())
        for (int i = 0; i < lambda_; ++i) {
            make_offspring(p_, run_seed, gen, i, muts_[static_cast<size_t>(i)], few_mutations ? &parent : nullptr);
            bool neutral = false;
            fits_[static_cast<size_t>(i)] =
                workers_[static_cast<size_t>(omp_get_thread_num())].evaluate(parent, muts_[static_cast<size_t>(i)], threshold, neutral);
            neutral_[static_cast<size_t>(i)] = neutral ? 1 : 0;
        }
        governor_.record(seconds_since(offspring_start));
        evals_since_progress_ += static_cast<uint64_t>(lambda_);
        // Selection in offspring order against the current best (spec §5.4).
        const Fitness* best = &parent_.fit;
        int winner = -1, last_tie = -1;
        for (int i = 0; i < lambda_; ++i) {
            const auto [ge, eq] = dominates(fits_[static_cast<size_t>(i)], *best, threshold);
            if (ge && !eq) {
                best = &fits_[static_cast<size_t>(i)];
                winner = i;
            } else if (ge && eq) {
                last_tie = i;
            }
        }
        const bool improved = winner >= 0;
        const int chosen = improved ? winner : last_tie;
        if (chosen >= 0) {
            bool identical = true;
            for (const Mutation& m : muts_[static_cast<size_t>(chosen)])
                if (parent_.genes[static_cast<size_t>(m.gene)] != m.value) identical = false;
            if (!identical) advance_parent(p_, parent_, muts_[static_cast<size_t>(chosen)]);
        }
        ++s.generation;
        ++s.steps;
        if (improved) {
            s.no_change = 0;
            log_row(log_chromosomes && static_cast<double>(parent_.fit.error) <= c.mse_chromosome_logging_threshold);
        } else {
            ++s.no_change;
        }
        if (early_stop()) break;
        if (s.no_change > c.patience) {
            if (s.phase == 1) {
                log_row(true);
                if (parent_.fit.error > s.threshold) {
                    // Dynamic threshold: optimise energy without letting the error grow.
                    s.threshold = parent_.fit.error;
                    s.no_change = 0;
                    s.phase = 2;
                } else {
                    finished = true;
                }
            } else {
                finished = true;
            }
        }
    }
    // Final results: row with the chromosome, result config and weights (appended, as the original).
    log_row(true);
    const Metrics& m = metrics();
    Output result(output_path_, true);
    result.write(dump_config(c) + best_solution_line(m, format_chromosome(chromosome_genes(p_, parent_), l)) +
                 "evolution_steps_made: " + std::to_string(s.steps) + "\n" + dump_extra(c));
    result.close();
    Output weights(weights_path_, true);
    weights.write(weights_text(p_, parent_outputs(p_, parent_)));
    weights.close();
    stats.close();
    // Hand over to the next run before removing this run's checkpoint, so a kill in between
    // never restarts finished runs.
    if (!ckpt_path_.empty()) {
        if (s.run + 1 < c.number_of_runs) {
            RunState next;
            next.run = s.run + 1;
            const std::string next_path = expand_template(c.checkpoint_file, s.run + 2);
            write_atomic(next_path, checkpoint_text(p_, next));
            if (next_path != ckpt_path_) std::remove(ckpt_path_.c_str());
        } else {
            std::remove(ckpt_path_.c_str());
        }
    }
    if (c.progress) {
        progress(s, true);
        std::fprintf(stderr, "PROGRESS {\"event\": \"run_finished\", \"run\": %d, \"runs\": %" PRId64 "}\n", s.run + 1,
                     c.number_of_runs);
        std::fflush(stderr);
    }
    return kExitOk;
}

std::string read_checked(const std::string& path, const std::string& what) { return read_text(path, what); }

}  // namespace

void install_signal_handlers() {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
}

std::string statistics_header() {
    std::string header;
    for (const char* column : statistics_columns()) header += (header.empty() ? "" : ",") + std::string(column);
    return header + "\n";
}

void make_offspring(const Problem& p, uint64_t run_seed, uint64_t generation, int index, std::vector<Mutation>& muts,
                    const ParentState* energy_parent) {
    const Layout& l = p.layout;
    const bool nearest = p.cfg.output_assignment == OutputAssignment::Nearest;
    const uint64_t mutable_genes = nearest ? static_cast<uint64_t>(l.node_genes) : static_cast<uint64_t>(l.genes);
    const bool energy = energy_parent && p.cfg.energy_mutation_max > 0;
    const uint64_t max_mutations =
        energy ? static_cast<uint64_t>(p.cfg.energy_mutation_max)
               : static_cast<uint64_t>(std::ceil(static_cast<double>(mutable_genes) * p.cfg.mutation_max));
    // One independent stream per (run, generation, offspring): results never depend on threads.
    Rng rng(mix64(run_seed ^ mix64(generation * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(index) + 1)));
    muts.clear();
    if (mutable_genes == 0) return;
    // Energy phase: 1..max mutations (an offspring without one is its parent again).
    const uint64_t count = energy ? 1 + rng.below(max_mutations) : rng.below(max_mutations + 1);
    muts.reserve(static_cast<size_t>(max_mutations));
    // One 64-bit draw per mutation: the high half picks the gene, the low half its new value
    // (multiply-shift on 32 bits; the grid has fewer than 2^31 genes and pins).
    const uint32_t genes32 = static_cast<uint32_t>(mutable_genes);
    const int* const win_min = l.win_min.data();
    const int* const win_max = l.win_max.data();
    const uint64_t functions = static_cast<uint64_t>(l.function_count) + 1;
    for (uint64_t k = 0; k < count; ++k) {
        const uint64_t r = rng.next();
        const int32_t gene = static_cast<int32_t>((static_cast<uint64_t>(r >> 32) * genes32) >> 32);
        const uint64_t low = r & 0xFFFFFFFFu;
        int32_t value;
        if (gene < l.node_genes) {
            // Connection or function gene: both candidates are computed and one is selected
            // without a branch (a third of the genes are function genes: unpredictable).
            const int node = static_cast<int>(l.block_div.div(static_cast<uint32_t>(gene)));
            const int slot = gene - node * l.block;
            const int col = static_cast<int>(l.rows_div.div(static_cast<uint32_t>(node)));
            const int32_t connection =
                win_min[col] + static_cast<int32_t>((low * static_cast<uint64_t>(win_max[col] - win_min[col])) >> 32);
            const int f = static_cast<int>((low * functions) >> 32);
            const int32_t function = f == l.function_count ? kFunctionId : f;
            value = slot < l.arity ? connection : function;
        } else {
            value = l.win_min[l.cols] + static_cast<int32_t>((low * static_cast<uint64_t>(l.win_max[l.cols] - l.win_min[l.cols])) >> 32);
        }
        muts.push_back({gene, value});
    }
}

Problem make_problem(Config cfg, std::string_view gate_text, std::string_view data_text) {
    Problem p;
    p.gates = parse_gate_parameters(gate_text, cfg, cfg.gate_parameters_file.empty() ? "<gates>" : cfg.gate_parameters_file);
    p.data = parse_dataset(data_text, cfg, cfg.input_file);
    p.layout = Layout::from_config(cfg);
    p.vmin = static_cast<int8_t>(cfg.expected_value_min);
    p.vmax = static_cast<int8_t>(cfg.expected_value_max);
    p.cfg = std::move(cfg);
    return p;
}

Problem load_problem(const std::string& config_path, const std::vector<std::string>& overrides, int first_arg_index) {
    Config cfg = parse_config_text(read_checked(config_path, "config file"), config_path);
    apply_arguments(cfg, overrides, first_arg_index);
    validate_config(cfg);
    if (cfg.input_count == 0 || cfg.output_count == 0) {
        const Location at = cfg.location_of(cfg.input_count == 0 ? "input_count" : "output_count");
        throw CgpError(kExitZeroCount, at.source, at.line, "input_count and output_count must be > 0");
    }
    if (cfg.gate_parameters_file.empty()) {
        const Location at = cfg.location_of("gate_parameters_file");
        invalid(at.source == "<defaults>" ? config_path : at.source, at.line,
                "gate_parameters_file is required (the 5-column gate cost table)");
    }
    const std::string gates = read_checked(cfg.gate_parameters_file, "gate parameters file");
    const std::string data = read_checked(cfg.input_file, "input (train.data) file");
    return make_problem(std::move(cfg), gates, data);
}

int command_train(Problem& p, const TrainHooks& hooks) {
    Config& c = p.cfg;
    if (!c.seed_set && !c.checkpoint_file.empty()) {
        // Resuming a job whose seed came from the clock: take it from the checkpoint.
        for (int r = static_cast<int>(c.number_of_runs) - 1; r >= static_cast<int>(c.start_run) && !c.seed_set; --r) {
            const std::string path = expand_template(c.checkpoint_file, r + 1);
            if (!file_exists(path)) continue;
            const std::string text = read_text(path, "checkpoint");
            for (auto line : split_lines(text)) {
                line = trim(line);
                uint64_t seed = 0;
                if (line.substr(0, 5) == "seed " && parse_uint64(line.substr(5), seed)) {
                    c.seed = seed;
                    c.seed_set = true;
                    break;
                }
            }
        }
    }
    if (!c.seed_set) {
        c.seed = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
        c.seed_set = true;
    }
    omp_set_num_threads(c.threads > 0 ? static_cast<int>(c.threads) : default_thread_count(CpuLimits::of_this_process()));
    if (c.starting_solution.size() > 0 && c.starting_solution[0] == '@')
        c.starting_solution = std::string(trim(read_text(c.starting_solution.substr(1), "starting solution file")));
    RunState first;
    first.run = static_cast<int>(c.start_run);
    // Resume: the checkpoint of the latest run that has one.
    if (!c.checkpoint_file.empty()) {
        for (int r = static_cast<int>(c.number_of_runs) - 1; r >= static_cast<int>(c.start_run); --r) {
            const std::string path = expand_template(c.checkpoint_file, r + 1);
            if (!file_exists(path)) continue;
            RunState s = parse_checkpoint(p, read_text(path, "checkpoint"), path);
            if (s.run < c.start_run) continue;
            first = s;
            break;
        }
    }
    Trainer trainer(p, hooks);
    for (int r = first.run; r < c.number_of_runs; ++r) {
        RunState s;
        if (r == first.run) s = first;
        s.run = r;
        const int rc = trainer.run(s);
        if (rc != kExitOk) return rc;
    }
    return kExitOk;
}

namespace {

Problem evaluation_problem(const Problem& p) {
    // Evaluate exactly the given chromosome: never reassign its outputs.
    Problem q = p;
    q.cfg.output_assignment = OutputAssignment::Evolve;
    return q;
}

std::string read_chromosome_arg(const std::string& arg) {
    if (!arg.empty() && arg[0] == '@') return std::string(trim(read_text(arg.substr(1), "chromosome file")));
    return arg;
}

std::string human_line(long run, uint64_t gen, const Metrics& m) {
    return "[" + std::to_string(run) + ", " + std::to_string(gen) + "] MSE: " + std::to_string(m.fit.error) +
           ", QEnergy: " + std::to_string(m.fit.quantized_energy) + ", Energy: " + format_g12(m.energy) +
           ", Area: " + format_g12(m.area) + ", QDelay: " + std::to_string(m.fit.quantized_delay) +
           ", Delay: " + format_g12(m.delay) + ", Depth: " + std::to_string(m.depth) +
           ", Gates: " + std::to_string(m.fit.gate_count) + ", Chromosome: null\n";
}

}  // namespace

int command_evaluate_chromosome(const Problem& p0, const std::string& chromosome_arg) {
    const Problem p = evaluation_problem(p0);
    const std::string text = read_chromosome_arg(chromosome_arg);
    const std::string source = chromosome_arg.size() > 1 && chromosome_arg[0] == '@' ? chromosome_arg.substr(1) : "<chromosome>";
    ParentState s;
    build_parent(p, parse_chromosome(text, p.layout, source, 1), s);
    const Metrics m = parent_metrics(p, s);
    Output w(expand_template(p.cfg.train_weights_file, 1), false);
    w.write(weights_text(p, parent_outputs(p, s)));
    Output o(expand_template(p.cfg.output_file, 1), false);
    o.write(csv_row(1, 1, 0.0, m, format_chromosome(chromosome_genes(p, s), p.layout)) + human_line(1, 1, m));
    return kExitOk;
}

int command_evaluate_chromosomes(const Problem& p0, const std::string& gate_stats_template) {
    const Problem p = evaluation_problem(p0);
    const std::string list_path = p.cfg.cgp_statistics_file;
    const std::string text = read_text(list_path, "chromosome list (cgp_statistics_file)");
    Output o(expand_template(p.cfg.output_file, 1), false);
    o.write(statistics_header());
    long k = 0, line_no = 0;
    for (auto raw : split_lines(text)) {
        ++line_no;
        const auto line = trim(raw);
        if (line.empty()) continue;
        ++k;
        ParentState s;
        build_parent(p, parse_chromosome(line, p.layout, list_path, line_no), s);
        const Metrics m = parent_metrics(p, s);
        o.write(csv_row(k, static_cast<uint64_t>(k), 0.0, m, std::string(line)));
        Output w(expand_template(p.cfg.train_weights_file, k), false);
        w.write(weights_text(p, parent_outputs(p, s)));
        Output g(expand_template(gate_stats_template, k), false);
        std::string gs = "Function,Quantity\n";
        for (const auto& [f, n] : gate_histogram(p, s)) gs += std::to_string(f) + "," + std::to_string(n) + "\n";
        g.write(gs);
    }
    return kExitOk;
}

namespace {

// Splits one CSV line of the statistics format (quoted fields may contain commas).
std::vector<std::string> split_csv(std::string_view line) {
    std::vector<std::string> fields;
    std::string cur;
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char ch = line[i];
        if (quoted) {
            if (ch == '"') {
                if (i + 1 < line.size() && line[i + 1] == '"') {
                    cur += '"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                cur += ch;
            }
        } else if (ch == '"') {
            quoted = true;
        } else if (ch == ',') {
            fields.push_back(cur);
            cur.clear();
        } else {
            cur += ch;
        }
    }
    fields.push_back(cur);
    return fields;
}

}  // namespace

int command_evaluate_all(const Problem& p0) {
    const Problem p = evaluation_problem(p0);
    const Config& c = p.cfg;
    for (long run = 1; run <= c.number_of_runs; ++run) {
        const std::string stats_path = expand_template(c.cgp_statistics_file, run);
        const std::string text = read_text(stats_path, "statistics file");
        Output o(expand_template(c.output_file, run), false);
        o.write(statistics_header());
        Output w(expand_template(c.train_weights_file, run), false);
        std::vector<int32_t> rebuilt;  // the run's latest chromosome, for delta rows
        ChromosomeLog out_log(p.layout, c.statistics_delta);
        long line_no = 0;
        for (auto raw : split_lines(text)) {
            ++line_no;
            const auto line = trim(raw);
            if (line.empty() || line_no == 1) continue;  // header
            const auto fields = split_csv(line);
            if (fields.size() != 12) invalid(stats_path, line_no, "expected 12 CSV columns, found " + std::to_string(fields.size()));
            if (fields[11].empty()) continue;
            if (is_chromosome_delta(fields[11])) {
                apply_chromosome_delta(rebuilt, fields[11], p.layout, stats_path, line_no);
                rebuilt = parse_chromosome(format_chromosome(rebuilt, p.layout), p.layout, stats_path, line_no);
            } else {
                rebuilt = parse_chromosome(fields[11], p.layout, stats_path, line_no);
            }
            uint64_t err = 0;
            if (!std::isnan(c.mse_chromosome_logging_threshold) && parse_uint64(fields[3], err) &&
                static_cast<double>(err) > c.mse_chromosome_logging_threshold)
                continue;
            int64_t r = 0;
            uint64_t g = 0;
            double ts = 0;
            if (!parse_int64(fields[0], r) || !parse_uint64(fields[1], g) || !parse_double(fields[2], ts))
                invalid(stats_path, line_no, "malformed run, generation or timestamp column");
            ParentState s;
            build_parent(p, rebuilt, s);
            const Metrics m = parent_metrics(p, s);
            o.write(csv_row(r, g, ts, m, out_log.text(rebuilt)));
            w.write(weights_text(p, parent_outputs(p, s)));
        }
    }
    return kExitOk;
}

int run_cli(const std::vector<std::string>& args) {
    try {
        if (args.empty())
            throw CgpError(kExitNoCommand, "<command line>", 1, "no command (see cgp --help)");
        const std::string& command = args[0];
        if (command == "--help" || command == "-h" || command == "help") {
            std::fputs(usage_text().c_str(), stdout);
            return kExitOk;
        }
        if (command == "describe") {
            if (args.size() > 2 || (args.size() == 2 && args[1] != "--json"))
                throw CgpError(kExitInvalidInput, "<command line>", 2, "describe takes only --json");
            std::fputs((args.size() == 2 ? describe_json() : describe_text()).c_str(), stdout);
            return kExitOk;
        }
        if (!is_engine_command(command))
            throw CgpError(kExitNoConfig, "<command line>", 1, "unknown command '" + command + "' (see cgp --help)");
        if (args.size() < 2) throw CgpError(kExitNoConfig, "<command line>", 2, "no config file given");
        size_t next = 2;
        std::string positional;
        if (command == "evaluate:chromosome" || command == "evaluate:chromosomes") {
            // A chromosome starts with '{' or '@' and a template is a path: a leading '-' is a flag.
            if (args.size() < 3 || (args[2].size() > 1 && args[2][0] == '-'))
                throw CgpError(kExitMissingPositional, "<command line>", 3,
                               command == "evaluate:chromosome" ? "missing chromosome (string or @file)" : "missing gate statistics file template");
            positional = args[2];
            next = 3;
        }
        std::vector<std::string> rest(args.begin() + static_cast<long>(next), args.end());
        Problem p = load_problem(args[1], rest, static_cast<int>(next) + 1);
        if (command == "train") {
            install_signal_handlers();
            return command_train(p);
        }
        if (command == "evaluate:chromosome") return command_evaluate_chromosome(p, positional);
        if (command == "evaluate:chromosomes") return command_evaluate_chromosomes(p, positional);
        return command_evaluate_all(p);
    } catch (const CgpError& e) {
        std::fprintf(stderr, "cgp: %s:%ld: %s\n", e.source.c_str(), e.line, e.message.c_str());
        return e.code;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "cgp: <engine>:0: out of memory\n");
        return kExitOther;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cgp: <engine>:0: %s\n", e.what());
        return kExitOther;
    }
}

}  // namespace cgp

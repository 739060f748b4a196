// Commands of the engine: train (the (1+λ) evolution with checkpoints) and the three evaluate
// commands. Callable in-process so unit tests can run them without a subprocess.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "evaluator.h"
#include "model.h"

namespace cgp {

// Set by the SIGTERM/SIGINT handler; checked at every generation boundary.
extern std::atomic<bool> g_stop_requested;
void install_signal_handlers();

// Loads config (+ overrides), gate table and dataset, validating each. Throws CgpError.
Problem load_problem(const std::string& config_path, const std::vector<std::string>& overrides, int first_arg_index = 3);
Problem make_problem(Config cfg, std::string_view gate_text, std::string_view data_text);

struct TrainHooks {
    // Test hook: returning true acts like a SIGTERM at that generation boundary.
    std::function<bool(int run, uint64_t generation)> stop_at;
};

int command_train(Problem& p, const TrainHooks& hooks = {});
int command_evaluate_chromosome(const Problem& p, const std::string& chromosome_arg);
int command_evaluate_chromosomes(const Problem& p, const std::string& gate_stats_template);
int command_evaluate_all(const Problem& p);

// Runs the whole command line (argv without the program name); returns the exit code and prints
// `cgp: <file>:<line>: <what>` for errors.
int run_cli(const std::vector<std::string>& args);

// Exposed for tests and benchmarks.
std::string statistics_header();
// `energy_parent`: the parent when its error is at or under the threshold (energy phase) or the
// outputs are assigned `nearest`; then 1..energy_mutation_max mutations (unless that is 0),
// on genes drawn uniformly as with mutation_max.
void make_offspring(const Problem& p, uint64_t run_seed, uint64_t generation, int index, std::vector<Mutation>& muts,
                    const ParentState* energy_parent = nullptr);

}  // namespace cgp

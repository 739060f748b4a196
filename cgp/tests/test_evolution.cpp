// Evolution: incremental evaluation equals a full one, results do not depend on the thread
// count, and a run stopped and resumed any number of times ends byte-identical.
#include <omp.h>

#include <cstdlib>
#include <set>

#include "engine.h"
#include "evaluator.h"
#include "fixtures.h"
#include "harness.h"
#include "io.h"

namespace {

std::string grid_config(int in, int out, int rows, int cols, int items, int fc, const char* assignment, const char* metric) {
    return "input_count: " + std::to_string(in) + "\noutput_count: " + std::to_string(out) + "\nrow_count: " + std::to_string(rows) +
           "\ncol_count: " + std::to_string(cols) + "\nlook_back_parameter: " + std::to_string(cols) +
           "\ndataset_size: " + std::to_string(items) + "\nfunction_count: " + std::to_string(fc) +
           "\noutput_assignment: " + assignment + "\nerror_metric: " + metric + "\nmutation_max: 0.05\npopulation_max: 5\n";
}

void check_incremental_matches_full(const cgp::Problem& p, int trials) {
    cgp::Rng rng(99);
    cgp::ParentState parent;
    cgp::build_parent(p, cgp::random_chromosome(p.layout, rng), parent);
    cgp::Worker worker(p);
    std::vector<cgp::Mutation> muts;
    long mismatches = 0;
    for (int t = 0; t < trials; ++t) {
        cgp::make_offspring(p, 7, static_cast<uint64_t>(t), t % 3, muts);
        bool neutral = false;
        const cgp::Fitness inc = worker.evaluate(parent, muts, UINT64_MAX, neutral);
        std::vector<int32_t> genes = parent.genes;
        for (const auto& m : muts) genes[static_cast<size_t>(m.gene)] = m.value;
        cgp::ParentState full;
        cgp::build_parent(p, genes, full);
        if (inc.error != full.fit.error || inc.quantized_energy != full.fit.quantized_energy ||
            inc.quantized_delay != full.fit.quantized_delay || inc.gate_count != full.fit.gate_count)
            ++mismatches;
        // Walk: sometimes adopt the offspring, updating the parent in place, which must equal
        // the full evaluation of the same genes.
        if (t % 4 == 0) {
            cgp::advance_parent(p, parent, muts);
            if (parent.genes != full.genes || parent.vals != full.vals || parent.active != full.active ||
                parent.fit.error != full.fit.error || parent.fit.quantized_energy != full.fit.quantized_energy ||
                parent.choice.best_pin != full.choice.best_pin || parent.choice.group_pin != full.choice.group_pin ||
                parent.groups != full.groups || parent.roots != full.roots ||
                parent.fit.quantized_delay != full.fit.quantized_delay || parent.fit.gate_count != full.fit.gate_count)
                ++mismatches;
        }
    }
    if (mismatches) th::fail(__FILE__, __LINE__, std::to_string(mismatches) + " incremental/full mismatches");
}

}  // namespace

TEST(incremental_evaluation_equals_full_evaluation) {
    check_incremental_matches_full(fx::problem(grid_config(6, 20, 4, 6, 1, 27, "evolve", "SE"), 6, 20, 1), 400);
    check_incremental_matches_full(fx::problem(grid_config(6, 20, 4, 6, 1, 27, "nearest", "AE"), 6, 20, 1, 5, 3), 400);
    check_incremental_matches_full(fx::problem(grid_config(5, 12, 3, 5, 3, 29, "evolve", "MSE"), 5, 12, 3, 8, 2), 300);
    check_incremental_matches_full(fx::problem(grid_config(5, 12, 3, 5, 3, 29, "nearest", "SE"), 5, 12, 3), 200);
    // Many mutations per offspring (the branch-free active-node path), also with one input
    // gene per node (binary functions then read 0 as their second operand).
    check_incremental_matches_full(fx::problem(grid_config(6, 30, 8, 10, 1, 27, "evolve", "SE") + "mutation_max: 0.3\n", 6, 30, 1), 300);
    check_incremental_matches_full(
        fx::problem(grid_config(6, 30, 8, 10, 1, 27, "evolve", "AE") + "mutation_max: 0.3\nfunction_input_arity: 1\n", 6, 30, 1), 300);
    check_incremental_matches_full(
        fx::problem(grid_config(6, 30, 8, 10, 1, 27, "nearest", "SE") + "mutation_max: 0.3\nfunction_input_arity: 1\n", 6, 30, 1), 300);
    // Wider nodes: 3 inputs, 2 output pins (DEMUX and ID drive each pin separately).
    check_incremental_matches_full(
        fx::problem(grid_config(4, 10, 3, 6, 2, 29, "evolve", "SE") + "function_input_arity: 3\nfunction_output_arity: 2\n", 4,
                    10, 2),
        300);
    check_incremental_matches_full(
        fx::problem(grid_config(4, 10, 3, 6, 1, 27, "nearest", "AE") + "function_input_arity: 3\nfunction_output_arity: 2\n", 4,
                    10, 1),
        300);
}

TEST(nearest_assignment_picks_the_closest_present_value) {
    cgp::Problem p = fx::problem(grid_config(4, 30, 4, 4, 1, 27, "nearest", "SE"), 4, 30, 1);
    cgp::Rng rng(3);
    cgp::ParentState s;
    cgp::build_parent(p, cgp::random_chromosome(p.layout, rng), s);
    const cgp::Layout& l = p.layout;
    std::set<int> present;
    for (int pin = l.win_min[l.cols]; pin < l.win_max[l.cols]; ++pin) present.insert(s.vals[static_cast<size_t>(pin)]);
    const auto outs = cgp::parent_outputs(p, s);
    for (int j = 0; j < l.out; ++j) {
        const int e = p.data.outputs[static_cast<size_t>(j)];
        int best = 1000;
        for (int v : present) best = std::min(best, std::abs(v - e));
        CHECK_EQ(std::abs(outs[static_cast<size_t>(j)] - e), best);
    }
}

TEST(mux_selects_by_dataset_item) {
    // One MUX node fed by the two inputs: item 0 sees input 0, item 1 sees input 1.
    cgp::Config cfg = cgp::parse_config_text(
        "input_count: 2\noutput_count: 1\nrow_count: 1\ncol_count: 1\nlook_back_parameter: 1\ndataset_size: 2\nfunction_count: 29\n",
        "m");
    cgp::validate_config(cfg);
    cgp::Problem p = cgp::make_problem(cfg, fx::gate_text(), "10 20\n10\n30 40\n40\n");
    const auto genes = cgp::parse_chromosome("{2,1,1,1,2,1,2}([2]0,1,27)(2)", p.layout);
    cgp::ParentState s;
    cgp::build_parent(p, genes, s);
    const auto outs = cgp::parent_outputs(p, s);
    CHECK_EQ(static_cast<int>(outs[0]), 10);
    CHECK_EQ(static_cast<int>(outs[1]), 40);
    CHECK_EQ(s.fit.error, uint64_t{0});
}

namespace {

struct RunFiles {
    std::string stats1, stats2, weights1, weights2, result1, result2;
};

std::string train_config(const std::string& dir, const char* assignment) {
    fx::problem("input_count: 1\n", 1, 1, 1);  // fixture sanity
    th::write_file(dir + "/gates.txt", fx::gate_text());
    th::write_file(dir + "/train.data", fx::data_text(8, 24, 1, 17, 2));
    return "input_count: 8\noutput_count: 24\nrow_count: 6\ncol_count: 8\nlook_back_parameter: 8\n"
           "population_max: 6\nmutation_max: 0.1\nfunction_count: 27\ngeneration_count: 3000\nnumber_of_runs: 2\n"
           "patience: 400\nmse_threshold: 200\nmse_chromosome_logging_threshold: 100000\nseed: 1234\n"
           "timestamps: zero\noutput_assignment: " + std::string(assignment) + "\n" +
           "input_file: " + dir + "/train.data\ngate_parameters_file: " + dir + "/gates.txt\n" +
           "cgp_statistics_file: " + dir + "/stats.{run}.csv\noutput_file: " + dir + "/cgp.{run}.config\n" +
           "train_weights_file: " + dir + "/weights.{run}.txt\ncheckpoint_file: " + dir + "/ckpt.{run}\nstdout: x.txt\n";
}

RunFiles collect(const std::string& dir) {
    return {th::read_file(dir + "/stats.1.csv"),  th::read_file(dir + "/stats.2.csv"),
            th::read_file(dir + "/weights.1.txt"), th::read_file(dir + "/weights.2.txt"),
            th::read_file(dir + "/cgp.1.config"),  th::read_file(dir + "/cgp.2.config")};
}

bool same(const RunFiles& a, const RunFiles& b) {
    return a.stats1 == b.stats1 && a.stats2 == b.stats2 && a.weights1 == b.weights1 && a.weights2 == b.weights2 &&
           a.result1 == b.result1 && a.result2 == b.result2;
}

RunFiles train_once(const std::string& dir, const char* assignment, int threads, const cgp::TrainHooks& hooks = {}) {
    (void)std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str());
    th::write_file(dir + "/c.config", train_config(dir, assignment));
    cgp::Problem p = cgp::load_problem(dir + "/c.config", {"--threads", std::to_string(threads)});
    CHECK_EQ(cgp::command_train(p, hooks), 0);
    return collect(dir);
}

}  // namespace

TEST(training_is_identical_for_one_and_two_threads) {
    for (const char* assignment : {"evolve", "nearest"}) {
        const std::string dir = th::temp_dir() + "/threads";
        const RunFiles one = train_once(dir, assignment, 1);
        const RunFiles two = train_once(dir, assignment, 2);
        CHECK(!one.stats1.empty() && !one.result2.empty() && !one.weights2.empty());
        CHECK(one.result1.find("seed: 1234\n") != std::string::npos);
        CHECK(one.result1.find("best_solution: error:") != std::string::npos);
        CHECK(one.result1.find("evolution_steps_made: ") != std::string::npos);
        CHECK(one.result1.find("stdout: x.txt\n") != std::string::npos);
        CHECK(same(one, two));
        CHECK(!cgp::file_exists(dir + "/ckpt.1") && !cgp::file_exists(dir + "/ckpt.2"));
    }
    omp_set_num_threads(1);
}

TEST(training_stopped_and_resumed_ends_identical) {
    for (const char* assignment : {"evolve", "nearest"}) {
        const std::string dir = th::temp_dir() + "/resume";
        const RunFiles reference = train_once(dir, assignment, 1);
        (void)std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str());
        th::write_file(dir + "/c.config", train_config(dir, assignment));
        // Stop at several boundaries in both runs, including generation 0 and right after a run ended.
        const std::vector<std::pair<int, uint64_t>> stops = {{0, 0}, {0, 1}, {0, 250}, {0, 1700}, {1, 0}, {1, 999}};
        size_t next = 0;
        int interruptions = 0;
        for (int attempt = 0; attempt < 20; ++attempt) {
            cgp::Problem p = cgp::load_problem(dir + "/c.config", {"--threads", attempt % 2 ? "2" : "1"});
            cgp::TrainHooks hooks;
            bool first_call = true;
            hooks.stop_at = [&](int run, uint64_t gen) {
                // Resuming restarts at the checkpointed boundary; do not stop there twice.
                if (first_call) {
                    first_call = false;
                    return false;
                }
                if (next < stops.size() && (run > stops[next].first || (run == stops[next].first && gen >= stops[next].second))) {
                    ++next;
                    return true;
                }
                return false;
            };
            const int rc = cgp::command_train(p, hooks);
            if (rc == 0) break;
            CHECK_EQ(rc, static_cast<int>(cgp::kExitInterrupted));
            ++interruptions;
        }
        CHECK(interruptions >= 4);
        CHECK(same(collect(dir), reference));
    }
    omp_set_num_threads(1);
}

TEST(runs_do_not_depend_on_earlier_runs) {
    // Run 2 of a two-run job equals run 2 started alone: no state (e.g. a raised threshold)
    // carries over between runs.
    const std::string dir = th::temp_dir() + "/thr";
    const RunFiles both = train_once(dir, "evolve", 1);
    (void)std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str());
    th::write_file(dir + "/c.config", train_config(dir, "evolve"));
    cgp::Problem p = cgp::load_problem(dir + "/c.config", {"--start-run", "1"});
    CHECK_EQ(cgp::command_train(p), 0);
    CHECK(!cgp::file_exists(dir + "/stats.1.csv"));
    CHECK_EQ(th::read_file(dir + "/stats.2.csv"), both.stats2);
    CHECK(both.result2.find("mse_threshold: 200\n") != std::string::npos);
    omp_set_num_threads(1);
}

TEST(resume_without_seed_reuses_the_checkpointed_seed) {
    const std::string dir = th::temp_dir() + "/noseed";
    (void)std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str());
    std::string text = train_config(dir, "evolve");
    text.replace(text.find("seed: 1234\n"), 11, "");
    th::write_file(dir + "/c.config", text);
    {
        cgp::Problem p = cgp::load_problem(dir + "/c.config", {});
        cgp::TrainHooks hooks;
        hooks.stop_at = [](int run, uint64_t gen) { return run == 0 && gen == 300; };
        CHECK_EQ(cgp::command_train(p, hooks), static_cast<int>(cgp::kExitInterrupted));
    }
    {
        cgp::Problem p = cgp::load_problem(dir + "/c.config", {});
        CHECK_EQ(cgp::command_train(p), 0);
    }
    const RunFiles resumed = collect(dir);
    const auto at = resumed.result1.find("seed: ");
    CHECK(at != std::string::npos);
    const std::string seed = resumed.result1.substr(at + 6, resumed.result1.find('\n', at) - at - 6);
    (void)std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str());
    train_config(dir, "evolve");  // writes the data and gate files again
    th::write_file(dir + "/c.config", text);
    cgp::Problem p = cgp::load_problem(dir + "/c.config", {"--seed", seed});
    CHECK_EQ(cgp::command_train(p), 0);
    CHECK(same(collect(dir), resumed));
}

TEST(parallel_offspring_evaluation_is_identical_to_serial) {
    // A grid large enough that offspring are evaluated by several OpenMP threads.
    for (const char* assignment : {"evolve", "nearest"}) {
        RunFiles results[3];
        for (int threads = 1; threads <= 3; ++threads) {
            const std::string dir = th::temp_dir() + "/parallel";
            (void)std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str());
            th::write_file(dir + "/c.config", train_config(dir, assignment));
            cgp::Problem p = cgp::load_problem(dir + "/c.config", {"--threads", std::to_string(threads), "-r", "40", "-c", "60", "-l",
                                                                   "60", "-g", "120", "-p", "9", "--patience", "30"});
            CHECK_EQ(cgp::command_train(p), 0);
            results[threads - 1] = collect(dir);
        }
        CHECK(!results[0].stats2.empty());
        CHECK(same(results[0], results[1]));
        CHECK(same(results[0], results[2]));
    }
    omp_set_num_threads(1);
}

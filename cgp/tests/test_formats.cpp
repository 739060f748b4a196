// Round trips of the original's file formats, and evaluation of a hand-written chromosome.
#include "config.h"
#include "engine.h"
#include "evaluator.h"
#include "fixtures.h"
#include "harness.h"
#include "io.h"
#include "model.h"

namespace {

const char* kSmallConfig =
    "# hand-checked 2x2 grid\n"
    "function_input_arity: 2\n"
    "input_count: 2\n"
    "output_count: 3\n"
    "\n"
    "row_count: 2\n"
    "col_count: 2\n"
    "look_back_parameter: 2\n"
    "function_count: 27\n"
    "mse_threshold: 0\n";

// In the original's format: header {in,out,cols,rows,arity,L,dataset_size}, nodes ([id]a,b,f), outputs.
const char* kHandChromosome = "{2,3,2,2,2,2,1}([2]0,1,1)([3]0,1,3)([4]2,3,2)([5]1,0,100)(4,5,2)";

}  // namespace

TEST(config_round_trip_keeps_unknown_keys_and_values) {
    const std::string text =
        "# comment line\n"
        "function_input_arity: 2\n"
        "\n"
        "   \n"
        "input_count: 150\n"
        "output_count: 2400\n"
        "population_max: 64\n"
        "mutation_max: 0.15\n"
        "row_count: 256\n"
        "col_count: 31\n"
        "look_back_parameter: 31\n"
        "generation_count: 50000000\n"
        "gate_parameters_file: C:/data/gate_parameters.txt\n"
        "stdout: train_stdout.txt\n"
        "stderr: train_stderr.txt\n"
        "mse_threshold: 150\n"
        "mse_chromosome_logging_threshold: nan\n"
        "delay_early_stop: inf\n"
        "best_solution: error:1 quantized_energy:2 chromosome:{1,2}\n"
        "evolution_steps_made: 77\n"
        "seed: 42\n";
    const cgp::Config c = cgp::parse_config_text(text, "a.config");
    CHECK_EQ(c.input_count, 150);
    CHECK_EQ(c.output_count, 2400);
    CHECK_EQ(c.mutation_max, 0.15);
    CHECK_EQ(c.generation_count, uint64_t{50000000});
    CHECK_EQ(c.gate_parameters_file, std::string("C:/data/gate_parameters.txt"));
    CHECK(std::isnan(c.mse_chromosome_logging_threshold));
    CHECK(std::isinf(c.delay_early_stop));
    CHECK_EQ(c.evolution_steps_made, uint64_t{77});
    CHECK_EQ(c.extra.size(), size_t{2});
    CHECK_EQ(c.extra[0].first, std::string("stdout"));
    CHECK(c.seed_set && c.seed == 42);
    const std::string dumped = cgp::dump_config(c) + cgp::dump_extra(c);
    CHECK(dumped.find("stdout: train_stdout.txt\n") != std::string::npos);
    CHECK(dumped.find("population_max: 64\n") != std::string::npos);  // never halved
    const cgp::Config again = cgp::parse_config_text(dumped, "dump");
    CHECK_EQ(cgp::dump_config(again) + cgp::dump_extra(again), dumped);
    // Dump order starts as the original's.
    CHECK_EQ(dumped.rfind("function_input_arity: 2\nfunction_output_arity: 1\noutput_count: 2400\ninput_count: 150\n", 0), size_t{0});
}

TEST(command_line_flags_long_and_short) {
    cgp::Config c = cgp::parse_config_text("input_count: 3\n", "x");
    cgp::apply_arguments(c, {"-r", "7", "--col-count", "9", "-l", "4", "--error-metric", "MSE", "--output-assignment",
                             "nearest", "--seed", "11", "--threads", "2", "--progress", "--timestamps", "zero",
                             "--start-run", "1", "-mse", "25", "--checkpoint-file", "ck.{run}", "--time-budget", "3.5"});
    CHECK_EQ(c.row_count, 7);
    CHECK_EQ(c.col_count, 9);
    CHECK_EQ(c.look_back_parameter, 4);
    CHECK(c.error_metric == cgp::ErrorMetric::MSE);
    CHECK(c.output_assignment == cgp::OutputAssignment::Nearest);
    CHECK(c.seed_set && c.seed == 11);
    CHECK_EQ(c.threads, 2);
    CHECK(c.progress && c.timestamps_zero);
    CHECK_EQ(c.start_run, 1);
    CHECK_EQ(c.mse_threshold, uint64_t{25});
    CHECK_EQ(c.checkpoint_file, std::string("ck.{run}"));
    CHECK_EQ(c.time_budget, 3.5);
    // threads never reaches the result config; results do not depend on it.
    CHECK(cgp::dump_config(c).find("threads") == std::string::npos);
}

TEST(chromosome_original_format_round_trip_and_evaluation) {
    cgp::Config cfg = cgp::parse_config_text(kSmallConfig, "small");
    cgp::validate_config(cfg);
    cgp::Problem p = cgp::make_problem(cfg, fx::gate_text(), "5 -3\n2 -15 8\n");
    const auto genes = cgp::parse_chromosome(kHandChromosome, p.layout);
    CHECK_EQ(cgp::format_chromosome(genes, p.layout), std::string(kHandChromosome));
    // Without the informational [id] the parser reads the same genes.
    const auto genes2 = cgp::parse_chromosome("{2,3,2,2,2,2,1}(0,1,1)(0,1,3)(2,3,2)(1,0,100)(4,5,2)", p.layout);
    CHECK(genes == genes2);
    cgp::ParentState s;
    cgp::build_parent(p, genes, s);
    const auto outs = cgp::parent_outputs(p, s);
    CHECK_EQ(static_cast<int>(outs[0]), 17);  // (5 + -3) - (5 * -3)
    CHECK_EQ(static_cast<int>(outs[1]), -3);  // ID(input 1)
    CHECK_EQ(static_cast<int>(outs[2]), 2);   // 5 + -3
    CHECK_EQ(s.fit.error, uint64_t{225 + 144 + 36});
    CHECK_EQ(s.fit.gate_count, 4u);
    // ADD 17 + MUL 31 + SUB 24 + ID 0 (fixture costs 10 + 7 * id).
    CHECK_EQ(s.fit.quantized_energy, uint64_t{17 + 31 + 24});
    const cgp::Metrics m = cgp::parent_metrics(p, s);
    CHECK_EQ(m.depth, 2);
}

TEST(dataset_with_x_padding) {
    cgp::Config cfg = cgp::parse_config_text("input_count: 3\noutput_count: 4\ndataset_size: 2\n", "d");
    const auto d = cgp::parse_dataset("1 x -128\n3 -7 x x\n\n4 5 6\n127 1 2 x\n", cfg);
    CHECK_EQ(d.meaningful[0], 2);
    CHECK_EQ(d.meaningful[1], 3);
    CHECK_EQ(static_cast<int>(d.inputs[1]), 0);
    CHECK_EQ(static_cast<int>(d.inputs[2]), -128);
    CHECK_EQ(static_cast<int>(d.outputs[1]), -7);
    CHECK_EQ(static_cast<int>(d.outputs[4]), 127);
}

TEST(gate_file_quantized_columns_used_as_given) {
    cgp::Config cfg = cgp::parse_config_text("function_count: 27\n", "g");
    const auto g = cgp::parse_gate_parameters(fx::gate_text(), cfg);
    CHECK_EQ(g.of(1).quantized_energy, uint64_t{17});
    CHECK_EQ(g.of(1).energy, 17.5);
    CHECK_EQ(g.of(100).quantized_energy, uint64_t{0});
    cgp::Config mux = cgp::parse_config_text("function_count: 29\ndataset_size: 4\n", "g");
    const auto gm = cgp::parse_gate_parameters(fx::gate_text(), mux);
    CHECK_EQ(gm.of(27).quantized_energy, uint64_t{10 + 7 * 28});  // mux_4to1 is line 29 (id 28)
    CHECK_EQ(gm.of(28).quantized_energy, uint64_t{10 + 7 * 32});  // demux_4to1 is line 33 (id 32)
}

TEST(templates_and_paths) {
    CHECK_EQ(cgp::expand_template("stats.{run}.csv", 3), std::string("stats.3.csv"));
    CHECK_EQ(cgp::expand_template("a{other}b", 3), std::string("ab"));
    CHECK_ERROR(cgp::expand_template("a{run", 1), cgp::kExitTemplate, "unclosed");
    CHECK(cgp::is_stream_path("-") && cgp::is_stream_path("+") && cgp::is_stream_path("#x"));
    CHECK(!cgp::is_stream_path("file.txt"));
}

TEST(evaluate_commands_write_weights_rows_and_gate_statistics) {
    const std::string dir = th::temp_dir() + "/eval";
    (void)std::system(("mkdir -p " + dir).c_str());
    th::write_file(dir + "/gates.txt", fx::gate_text());
    th::write_file(dir + "/train.data", "5 -3\n2 -15 8\n");
    th::write_file(dir + "/chrom.txt", std::string(kHandChromosome) + "\n");
    th::write_file(dir + "/list.txt", std::string(kHandChromosome) + "\n\n" + kHandChromosome + "\n");
    th::write_file(dir + "/c.config", std::string(kSmallConfig) + "gate_parameters_file: " + dir + "/gates.txt\ninput_file: " + dir +
                                          "/train.data\nnumber_of_runs: 1\n");
    int rc = cgp::run_cli({"evaluate:chromosome", dir + "/c.config", "@" + dir + "/chrom.txt", "--train-weights-file",
                           dir + "/w.txt", "--output-file", dir + "/out.csv"});
    CHECK_EQ(rc, 0);
    CHECK_EQ(th::read_file(dir + "/w.txt"), std::string("17 -3 2\n"));
    CHECK(th::read_file(dir + "/out.csv").rfind("1,1,\"0.000000\",405,72,", 0) == 0);
    rc = cgp::run_cli({"evaluate:chromosomes", dir + "/c.config", dir + "/gates.{run}.csv", "--cgp-statistics-file",
                       dir + "/list.txt", "--train-weights-file", dir + "/w.{run}.txt", "--output-file", dir + "/outs.csv"});
    CHECK_EQ(rc, 0);
    CHECK_EQ(th::read_file(dir + "/w.2.txt"), std::string("17 -3 2\n"));
    const std::string gs = th::read_file(dir + "/gates.1.csv");
    CHECK(gs.rfind("Function,Quantity\n0,0\n1,1\n2,1\n3,1\n", 0) == 0);
    CHECK(gs.find("\n100,1\n") != std::string::npos);
    const std::string outs = th::read_file(dir + "/outs.csv");
    CHECK(outs.rfind(cgp::statistics_header(), 0) == 0);
    CHECK(outs.find("\n2,2,") != std::string::npos);
    // evaluate:all re-evaluates the chromosome rows of a statistics CSV.
    th::write_file(dir + "/stats.1.csv", cgp::statistics_header() + "1,5,\"0.5\",999,1,1,1,1,1,1,1,\"\"\n" +
                                             "1,9,\"1.25\",405,72,1,1,1,1,1,1,\"" + kHandChromosome + "\"\n");
    rc = cgp::run_cli({"evaluate:all", dir + "/c.config", "--cgp-statistics-file", dir + "/stats.{run}.csv",
                       "--train-weights-file", dir + "/wa.{run}.txt", "--output-file", dir + "/all.{run}.csv"});
    CHECK_EQ(rc, 0);
    CHECK_EQ(th::read_file(dir + "/wa.1.txt"), std::string("17 -3 2\n"));
    CHECK(th::read_file(dir + "/all.1.csv").find("\n1,9,\"1.250000\",405,72,") != std::string::npos);
}

TEST(config_dump_is_stable_for_empty_paths) {
    // Regression (fuzz finding): an empty path ("" = default stream) must survive a dump/reload.
    const cgp::Config c = cgp::parse_config_text("input_file:\ncgp_statistics_file:\ntrain_weights_file:\n", "e");
    const std::string once = cgp::dump_config(c);
    CHECK(once.find("input_file:\n") != std::string::npos);
    CHECK(once.find("train_weights_file:\n") != std::string::npos);
    const cgp::Config again = cgp::parse_config_text(once, "dump");
    CHECK_EQ(again.input_file, std::string());
    CHECK_EQ(again.cgp_statistics_file, std::string());
    CHECK_EQ(again.train_weights_file, std::string());
    CHECK_EQ(cgp::dump_config(again), once);
}

TEST(energy_mutation_max_is_dumped_only_when_not_the_default) {
    // The default keeps result configs of default runs free of the new key; any other value
    // (0 = mutation_max everywhere) must survive a dump/reload and the --flag form.
    const cgp::Config d = cgp::parse_config_text("row_count: 3\n", "d");
    CHECK_EQ(d.energy_mutation_max, cgp::Config::kDefaultEnergyMutationMax);
    CHECK(cgp::dump_config(d).find("energy_mutation_max") == std::string::npos);
    cgp::Config c = cgp::parse_config_text("energy_mutation_max: 0\n", "c");
    CHECK_EQ(c.energy_mutation_max, int64_t{0});
    CHECK(cgp::dump_config(c).find("energy_mutation_max: 0\n") != std::string::npos);
    CHECK_EQ(cgp::parse_config_text(cgp::dump_config(c), "dump").energy_mutation_max, int64_t{0});
    const cgp::Config base = cgp::parse_config_text("", "b");
    CHECK(cgp::config_fingerprint(c) != cgp::config_fingerprint(base));
    CHECK_EQ(cgp::config_fingerprint(cgp::parse_config_text("energy_mutation_max: 4\n", "e")), cgp::config_fingerprint(base));
    cgp::apply_arguments(c, {"--energy-mutation-max", "12"});
    CHECK_EQ(c.energy_mutation_max, int64_t{12});
}

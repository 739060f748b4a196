// Neutral-offspring probe for bench/engine_bench.py. The engine does not re-evaluate an
// offspring whose mutations provably leave the parent's outputs unchanged ("neutral"), and it
// does not report how many it skipped. This probe uses the engine's own offspring generator
// (make_offspring) and evaluator (Worker::evaluate) on a given parent and counts how many of
// `generations` x lambda offspring come out neutral, so the benchmark can say how much of its
// evaluations-per-second figure is skipped work. It samples a fixed parent; it does not evolve.
//
//   neutral_probe <config> <chromosome-file|random> <generations> [--flag value ...]
// prints: `offspring <n> neutral <k>`
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine.h"
#include "evaluator.h"
#include "io.h"
#include "model.h"
#include "util.h"

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: neutral_probe <config> <chromosome-file|random> <generations> [--flag value ...]\n");
        return 2;
    }
    try {
        const std::vector<std::string> overrides(argv + 4, argv + argc);
        cgp::Problem p = cgp::load_problem(argv[1], overrides, 5);
        const std::string parent_arg = argv[2];
        const uint64_t generations = std::strtoull(argv[3], nullptr, 10);
        std::vector<int32_t> genes;
        if (parent_arg == "random") {
            cgp::Rng rng(p.cfg.seed);
            genes = cgp::random_chromosome(p.layout, rng);
        } else {
            const std::string text(cgp::trim(cgp::read_text(parent_arg, "parent chromosome")));
            genes = cgp::parse_chromosome(text, p.layout, parent_arg, 1);
        }
        cgp::ParentState parent;
        cgp::build_parent(p, genes, parent);
        cgp::Worker worker(p);
        const int lambda = static_cast<int>(p.cfg.population_max - 1);
        std::vector<cgp::Mutation> muts;
        uint64_t offspring = 0, neutral = 0;
        for (uint64_t g = 0; g < generations; ++g) {
            for (int i = 0; i < lambda; ++i) {
                cgp::make_offspring(p, p.cfg.seed, g, i, muts);
                bool is_neutral = false;
                worker.evaluate(parent, muts, p.cfg.mse_threshold, is_neutral);
                ++offspring;
                if (is_neutral) ++neutral;
            }
        }
        std::printf("offspring %llu neutral %llu\n", static_cast<unsigned long long>(offspring),
                    static_cast<unsigned long long>(neutral));
        return 0;
    } catch (const cgp::CgpError& e) {
        std::fprintf(stderr, "neutral_probe: %s:%ld: %s\n", e.source.c_str(), e.line, e.message.c_str());
        return e.code;
    }
}

// bin/cgp entry point: `cgp <command> <config> [positional] [--flag value ...]`.
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "engine.h"

int main(int argc, char** argv) {
    // libgomp reads its settings before main. A generation takes ~0.1 ms on big grids: sleeping
    // threads (passive waiting) lose ~20% of that to wake-ups, unbounded spinning stalls every
    // barrier on a shared, busy machine. So spin briefly (20,000 rounds, some microseconds),
    // then sleep, unless the user chose a policy; set by re-executing once.
    if (!std::getenv("OMP_WAIT_POLICY") && !std::getenv("GOMP_SPINCOUNT")) {
        setenv("GOMP_SPINCOUNT", "20000", 1);
        execv("/proc/self/exe", argv);  // on failure, continue with the default policy
    }
    std::vector<std::string> args(argv + 1, argv + argc);
    return cgp::run_cli(args);
}

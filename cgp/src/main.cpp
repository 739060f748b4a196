// bin/cgp entry point: `cgp <command> <config> [positional] [--flag value ...]`.
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "engine.h"

int main(int argc, char** argv) {
    // libgomp reads OMP_WAIT_POLICY before main; spinning threads stall every generation's
    // barrier on a shared, busy machine, so default to passive waiting by re-executing once.
    if (!std::getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
        execv("/proc/self/exe", argv);  // on failure, continue with the default policy
    }
    std::vector<std::string> args(argv + 1, argv + argc);
    return cgp::run_cli(args);
}

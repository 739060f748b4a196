#include "threads.h"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "util.h"

namespace cgp {

namespace {

std::optional<std::string> env(const char* name) {
    const char* v = std::getenv(name);
    if (!v) return std::nullopt;
    return std::string(v);
}

std::optional<std::string> file_text(const std::string& path) {
    std::ifstream f(path);
    if (!f) return std::nullopt;
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

std::optional<long> file_number(const std::string& path) {
    const auto text = file_text(path);
    int64_t v = 0;
    if (!text || !parse_int64(trim(*text), v)) return std::nullopt;
    return static_cast<long>(v);
}

// A positive count from the start of `text` ("4", "4,2" as OMP_NUM_THREADS nests, " 8 ").
std::optional<int> leading_count(const std::optional<std::string>& text) {
    if (!text) return std::nullopt;
    std::string_view s = trim(*text);
    s = s.substr(0, s.find(','));
    int64_t v = 0;
    if (!parse_int64(trim(s), v) || v < 1 || v > 1 << 20) return std::nullopt;
    return static_cast<int>(v);
}

// The process's cgroup v2 directory from /proc/self/cgroup ("0::/path").
std::string cgroup_v2_dir() {
    const auto text = file_text("/proc/self/cgroup");
    if (text)
        for (auto line : split_lines(*text))
            if (line.substr(0, 3) == "0::") return "/sys/fs/cgroup" + std::string(trim(line.substr(3)));
    return "/sys/fs/cgroup";
}

}  // namespace

CpuLimits CpuLimits::of_this_process() {
    CpuLimits l;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) l.affinity = CPU_COUNT(&set);
    l.cgroup_cpu_max = file_text(cgroup_v2_dir() + "/cpu.max");
    if (!l.cgroup_cpu_max) l.cgroup_cpu_max = file_text("/sys/fs/cgroup/cpu.max");
    l.cfs_quota_us = file_number("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
    l.cfs_period_us = file_number("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
    l.omp_num_threads = env("OMP_NUM_THREADS");
    l.pbs_num_ppn = env("PBS_NUM_PPN");
    l.ncpus = env("NCPUS");
    l.slurm_cpus_per_task = env("SLURM_CPUS_PER_TASK");
    return l;
}

int default_thread_count(const CpuLimits& limits) {
    if (const auto omp = leading_count(limits.omp_num_threads)) return *omp;
    int n = limits.affinity > 0 ? limits.affinity : 1 << 20;
    auto cap = [&](std::optional<int> c) {
        if (c && *c < n) n = *c;
    };
    auto quota = [&](double q, double period) {
        if (q > 0 && period > 0) cap(std::max(1, static_cast<int>(std::ceil(q / period))));
    };
    if (limits.cgroup_cpu_max) {
        std::istringstream s(*limits.cgroup_cpu_max);
        std::string q, period;
        double qv = 0, pv = 0;
        if (s >> q >> period && q != "max" && parse_double(q, qv) && parse_double(period, pv)) quota(qv, pv);
    }
    if (limits.cfs_quota_us && limits.cfs_period_us) quota(static_cast<double>(*limits.cfs_quota_us), static_cast<double>(*limits.cfs_period_us));
    cap(leading_count(limits.pbs_num_ppn));
    cap(leading_count(limits.ncpus));
    cap(leading_count(limits.slurm_cpus_per_task));
    return n == 1 << 20 ? 1 : n;
}

namespace {
constexpr double kProbeSeconds = 0.02;     // per mode and probe, with at least 3 generations,
constexpr uint64_t kProbeGenerations = 3;  // unless a mode is so slow that
constexpr double kProbeCapSeconds = 0.05;  // it has taken this long
constexpr double kKeepSeconds = 0.4;       // between probes, doubled while probes keep the same mode
constexpr double kMaxKeepSeconds = 6.4;
constexpr double kWindowSeconds = 0.05;    // how often the kept mode is checked against the probe
}  // namespace

void ParallelGovernor::start_probe() {
    stage_ = kProbeParallel;
    mode_ = 1;
    probe_time_[0] = probe_time_[1] = 0;
    probe_gens_[0] = probe_gens_[1] = 0;
}

void ParallelGovernor::record(double seconds) {
    if (!possible_) return;
    auto per_generation = [&](int m) { return probe_time_[m] / static_cast<double>(probe_gens_[m]); };
    if (stage_ != kKeep) {
        probe_time_[mode_] += seconds;
        ++probe_gens_[mode_];
        if (probe_time_[mode_] < kProbeCapSeconds && (probe_time_[mode_] < kProbeSeconds || probe_gens_[mode_] < kProbeGenerations))
            return;
        if (stage_ == kProbeParallel) {
            stage_ = kProbeSerial;
            mode_ = 0;
            return;
        }
        const int winner = per_generation(1) < per_generation(0) ? 1 : 0;
        keep_seconds_ = winner == kept_mode_ ? std::min(2 * keep_seconds_, kMaxKeepSeconds) : kKeepSeconds;
        kept_mode_ = mode_ = winner;
        stage_ = kKeep;
        kept_time_ = window_time_ = 0;
        window_gens_ = 0;
        return;
    }
    kept_time_ += seconds;
    window_time_ += seconds;
    ++window_gens_;
    if (kept_time_ >= keep_seconds_) {
        start_probe();
        return;
    }
    if (window_time_ < kWindowSeconds) return;
    // The load changed: the kept mode is clearly slower than measured and than the other mode.
    const double now = window_time_ / static_cast<double>(window_gens_);
    if (now > 1.25 * per_generation(mode_) && now > per_generation(1 - mode_)) start_probe();
    window_time_ = 0;
    window_gens_ = 0;
}

}  // namespace cgp

// Threads that never lose to one: the default thread count comes from the CPUs the process may
// really use, and a governor runs each generation's offspring in parallel only while that is
// measured to be faster than running them on one thread. Results never depend on either: the
// offspring are drawn from their own streams and selected in index order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cgp {

// What limits the CPUs this process may use; absent fields impose no limit.
struct CpuLimits {
    int affinity = 0;                    // CPUs in the affinity mask (0 = unknown)
    std::optional<std::string> cgroup_cpu_max;  // cgroup v2 `cpu.max` ("max 100000" or "quota period")
    std::optional<long> cfs_quota_us, cfs_period_us;  // cgroup v1 quota (-1 = none)
    std::optional<std::string> omp_num_threads, pbs_num_ppn, ncpus, slurm_cpus_per_task;
    static CpuLimits of_this_process();
};

// OMP_NUM_THREADS (its first entry) when set, as OpenMP itself reads it; otherwise the smallest of
// the affinity mask, the cgroup CPU quota (rounded up), PBS_NUM_PPN, NCPUS and
// SLURM_CPUS_PER_TASK that are set and valid; at least 1.
int default_thread_count(const CpuLimits& limits);

// Chooses, generation by generation, between running the offspring in parallel and on one
// thread. It measures both for a short probe (~20 ms each), then keeps the faster for 0.4 s,
// doubled (up to 6.4 s) each time a probe confirms it, and probes again earlier if the kept mode
// becomes slower than the other measured. On
// an idle machine parallel wins; with a core taken by another process, waiting at every
// generation's barrier for a descheduled thread costs far more than the thread brings, and the
// governor falls back to one thread.
class ParallelGovernor {
  public:
    explicit ParallelGovernor(bool parallel_possible) : possible_(parallel_possible) {}
    bool parallel() const { return possible_ && mode_ == 1; }
    // Seconds this generation's offspring took.
    void record(double seconds);

  private:
    enum Stage { kProbeParallel, kProbeSerial, kKeep };
    void start_probe();
    bool possible_;
    Stage stage_ = kProbeParallel;
    int mode_ = 1;  // 1 parallel, 0 one thread
    double probe_time_[2] = {0, 0};
    uint64_t probe_gens_[2] = {0, 0};
    int kept_mode_ = -1;
    double keep_seconds_ = 0;
    double window_time_ = 0, kept_time_ = 0;
    uint64_t window_gens_ = 0;
};

}  // namespace cgp

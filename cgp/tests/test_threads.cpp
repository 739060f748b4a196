// The default thread count follows every limit on the CPUs the process may use, and the parallel
// governor keeps the faster of parallel and one-thread offspring evaluation.
#include "harness.h"
#include "threads.h"

TEST(default_thread_count_takes_the_tightest_limit) {
    cgp::CpuLimits l;
    l.affinity = 8;
    CHECK_EQ(cgp::default_thread_count(l), 8);
    l.cgroup_cpu_max = "max 100000\n";
    CHECK_EQ(cgp::default_thread_count(l), 8);
    l.cgroup_cpu_max = "150000 100000\n";  // 1.5 CPUs of quota: 2 threads
    CHECK_EQ(cgp::default_thread_count(l), 2);
    l.cgroup_cpu_max.reset();
    l.cfs_quota_us = -1;
    l.cfs_period_us = 100000;
    CHECK_EQ(cgp::default_thread_count(l), 8);
    l.cfs_quota_us = 300000;
    CHECK_EQ(cgp::default_thread_count(l), 3);
    l.cfs_quota_us.reset();
    l.slurm_cpus_per_task = "4";
    CHECK_EQ(cgp::default_thread_count(l), 4);
    l.pbs_num_ppn = "2";
    CHECK_EQ(cgp::default_thread_count(l), 2);
    l.pbs_num_ppn.reset();
    l.ncpus = "16";  // more than the affinity mask allows: the mask wins
    CHECK_EQ(cgp::default_thread_count(l), 4);
    l.ncpus = "garbage";
    CHECK_EQ(cgp::default_thread_count(l), 4);
    l.omp_num_threads = "6,2";  // the user's explicit choice wins, as in OpenMP
    CHECK_EQ(cgp::default_thread_count(l), 6);
    l.omp_num_threads = "0";
    CHECK_EQ(cgp::default_thread_count(l), 4);
    CHECK_EQ(cgp::default_thread_count(cgp::CpuLimits{}), 1);
    CHECK(cgp::default_thread_count(cgp::CpuLimits::of_this_process()) >= 1);
}

namespace {

// Share of generations run in parallel over `seconds` of simulated time, when a generation takes
// `parallel_s` in parallel and `serial_s` on one thread.
double parallel_share(double parallel_s, double serial_s, double seconds) {
    cgp::ParallelGovernor g(true);
    double t = 0;
    long parallel = 0, all = 0;
    while (t < seconds) {
        const bool par = g.parallel();
        const double dt = par ? parallel_s : serial_s;
        g.record(dt);
        t += dt;
        parallel += par;
        ++all;
    }
    return static_cast<double>(parallel) / static_cast<double>(all);
}

}  // namespace

TEST(governor_keeps_the_faster_mode) {
    // Parallel twice as fast (idle machine): nearly all generations in parallel.
    CHECK(parallel_share(50e-6, 100e-6, 30) > 0.95);
    // Parallel 8 times slower (a core busy elsewhere): the time spent in parallel generations, and
    // so the loss against one thread, stays small.
    const double share = parallel_share(4e-3, 0.5e-3, 30);
    const double time_share = share * 4e-3 / (share * 4e-3 + (1 - share) * 0.5e-3);
    CHECK(time_share < 0.03);
    // Never parallel when it is not possible.
    cgp::ParallelGovernor off(false);
    for (int i = 0; i < 100; ++i) {
        CHECK(!off.parallel());
        off.record(1e-3);
    }
}

TEST(governor_follows_a_change_of_load) {
    cgp::ParallelGovernor g(true);
    // 10 s idle (parallel faster), then a busy core (parallel 8x slower): within ~7 s the
    // governor has moved to one thread and stays there.
    double t = 0;
    long late_parallel = 0, late = 0;
    while (t < 30) {
        const bool busy = t > 10;
        const bool par = g.parallel();
        const double dt = par ? (busy ? 4e-3 : 50e-6) : 100e-6;
        g.record(dt);
        t += dt;
        if (t > 18) {
            late_parallel += par;
            ++late;
        }
    }
    CHECK(static_cast<double>(late_parallel) / static_cast<double>(late) < 0.02);
}

// Engine and real-tool tests share process-wide state (PATH, ONLOADTOOLS_* variables, ports, the tuned daemon)
// and measure latency, which concurrent tests would perturb: the suite runs one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

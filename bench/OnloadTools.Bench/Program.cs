using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace OnloadTools.Bench;

/// <summary>
/// Benchmarks of the performance targets (not timed tests). Each prints its figures and whether the goal held.
/// Usage: dotnet run -c Release --project bench/OnloadTools.Bench -- &lt;name&gt; [options]
/// </summary>
public static class Program
{
    public static string ModuleDirectory { get; } = typeof(Program).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "ModuleDirectory").Value!;

    [ModuleInitializer]
    internal static void ResolveFromModuleFolder() =>
        AssemblyLoadContext.Default.Resolving += (ctx, name) =>
        {
            string p = Path.Combine(ModuleDirectory, name.Name + ".dll");
            return File.Exists(p) ? ctx.LoadFromAssemblyPath(p) : null;
        };

    private static readonly Dictionary<string, (string Help, Func<string[], int> Run)> Benchmarks = new()
    {
        ["netperf-transparency"] = ("cmdlet mean latency vs raw netperf, many short interleaved pairs; geometric mean ratio and its 95 % CI (goal: CI within 1.00 ± 0.03) [--pairs 40] [--duration 1] [--pin] [--in-pwsh: both sides in one real pwsh, telemetry opted out]", NetperfBenchmark.Transparency),
        ["netperf-quiet"] = ("CPU time and context switches of a real pwsh while Measure-NetperfLatency runs pinned (goal: pwsh sleeps) [--duration 5] [--telemetry: leave PowerShell's telemetry on]", NetperfBenchmark.Quiet),
        ["netperf-overhead"] = ("wall time of 5 × 1 s through the cmdlet vs 5 raw netperf runs (goal ≤ 1.05)", NetperfBenchmark.Overhead),
        ["import"] = ("module import time in a fresh runspace (goal ≤ 150 ms)", NetperfBenchmark.Import),
        ["comparison-simulated"] = ("Invoke-LatencyComparison's adaptive rule vs the paper's 5 × 120 s over recorded iteration distributions (goal: same verdicts in ≤ 1/4 the time) [comparisons] [csv]", ComparisonBenchmark.Run),
        ["compare"] = ("LatencyComparer over 1,000 pairs of 30-iteration runs (goal ≤ 1 s) [pairs] [iterations] [metrics]", CompareBenchmark.Run),
    };

    public static int Main(string[] args)
    {
        if (args.Length == 0 || !Benchmarks.TryGetValue(args[0], out var bench))
        {
            Console.WriteLine("benchmarks:");
            foreach (var (name, (help, _)) in Benchmarks) Console.WriteLine($"  {name,-24} {help}");
            return args.Length == 0 ? 0 : 2;
        }
        return bench.Run(args[1..]);
    }

    /// <summary>Registers a benchmark defined in another file (each benchmark owns its file).</summary>
    public static void Register(string name, string help, Func<string[], int> run) => Benchmarks[name] = (help, run);
}

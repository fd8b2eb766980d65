namespace OnloadTools.Latency;

/// <summary>
/// What Invoke-LatencyComparison decides before anything runs: the tool's tests for the names asked, the default arms
/// (bare metal and an Onload container), the rules two arms must meet, and how the experiment is described to the
/// admin (ShouldProcess). The cmdlet binds parameters and reports; <see cref="ComparisonExperimentRunner"/> runs.
/// </summary>
internal static class ComparisonPlan
{
    /// <summary>The image of the default container arm when no -Image is given (built from -BaseImage when absent).</summary>
    public const string DefaultImage = "localhost/onloadtools-comparison:latest";

    /// <summary>The labels of the default arms.</summary>
    public const string BareMetalLabel = "bare-metal";
    public const string ContainerLabel = "container";

    /// <summary>Every -TestName Invoke-LatencyComparison takes: netperf's tests, and sockperf's protocols.</summary>
    public static IReadOnlyList<string> TestNames { get; } = NetperfRequest.KnownTests.Concat(SockperfRequest.KnownProtocols).ToArray();

    /// <summary>The tool's name as on PATH and in messages.</summary>
    public static string ToolName(ComparisonTool tool) => tool == ComparisonTool.Sockperf ? "sockperf" : "netperf";

    /// <summary>
    /// The experiment's tests, in the order asked and once each: netperf's test names, or sockperf's protocols
    /// (TCP_RR stands for TCP, UDP_RR for UDP).
    /// </summary>
    /// <exception cref="TestNameNotForToolException">A name the tool has no test for (TCP_CRR with sockperf, TCP with netperf).</exception>
    public static string[] TestsFor(ComparisonTool tool, IEnumerable<string> names)
    {
        var tests = new List<string>();
        foreach (string name in names.Select(t => t.ToUpperInvariant()))
        {
            string? test = (tool, name) switch
            {
                (ComparisonTool.Sockperf, "TCP_RR" or "TCP") => "TCP",
                (ComparisonTool.Sockperf, "UDP_RR" or "UDP") => "UDP",
                (ComparisonTool.Netperf, _) when NetperfRequest.KnownTests.Contains(name) => name,
                _ => null,
            };
            if (test is null)
            {
                throw new TestNameNotForToolException(name, tool == ComparisonTool.Sockperf
                    ? $"sockperf has no test '{name}': with -Tool Sockperf give -TestName {string.Join(", ", SockperfRequest.KnownProtocols)} (or UDP_RR, TCP_RR, which stand for them)."
                    : $"netperf has no test '{name}': give -TestName {Or(NetperfRequest.KnownTests)}, or -Tool Sockperf to measure the protocol {name} with sockperf.");
            }
            if (!tests.Contains(test)) tests.Add(test);
        }
        return tests.ToArray();
    }

    private static string Or(IReadOnlyList<string> items) => string.Join(", ", items.Take(items.Count - 1)) + " or " + items[^1];

    /// <summary>The arms when none are described: netperf on this host, and in a container of <paramref name="image"/>.</summary>
    public static ComparisonArm[] DefaultArms(string? image, string onloadProfile) => new[]
    {
        new ComparisonArm { Label = BareMetalLabel, OnloadProfile = onloadProfile },
        new ComparisonArm { Label = ContainerLabel, Image = image ?? DefaultImage, OnloadProfile = onloadProfile },
    };

    /// <summary>Null, or why two described arms cannot be compared.</summary>
    public static string? ArmsProblem(IReadOnlyList<ComparisonArm> arms) =>
        arms.Count != 2 ? "A comparison has two arms."
        : string.Equals(arms[0].Label, arms[1].Label, StringComparison.OrdinalIgnoreCase) ? $"The two arms have the same label '{arms[0].Label}': give each its own."
        : null;

    /// <summary>"bare-metal vs container": the experiment's short name.</summary>
    public static string Title(IReadOnlyList<ComparisonArm> arms) => $"{arms[0].Label} vs {arms[1].Label}";

    /// <summary>Each arm as ShouldProcess shows it: where the tool runs, under onload or not.</summary>
    public static string Detail(IReadOnlyList<ComparisonArm> arms, ComparisonTool tool) => string.Join("; ", arms.Select(a => a.Describe(ToolName(tool))));
}

/// <summary>A -TestName the comparison's tool has no test for; <see cref="TestName"/> is the name (upper case).</summary>
internal sealed class TestNameNotForToolException(string testName, string message) : ArgumentException(message, "TestName")
{
    public string TestName { get; } = testName;
}

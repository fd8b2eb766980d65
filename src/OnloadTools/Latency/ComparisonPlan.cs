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
    /// <returns>The tests, or the first name the tool has no test for (TCP_CRR with sockperf, TCP with netperf) and why.</returns>
    public static TestSelection TestsFor(ComparisonTool tool, IEnumerable<string> names)
    {
        var tests = new List<string>();
        foreach (string name in names.Select(t => t.ToUpperInvariant()))
        {
            string? test = (tool, name) switch
            {
                (ComparisonTool.Sockperf, NetperfRequest.TcpRr or "TCP") => "TCP",
                (ComparisonTool.Sockperf, NetperfRequest.UdpRr or "UDP") => "UDP",
                (ComparisonTool.Netperf, _) when NetperfRequest.KnownTests.Contains(name) => name,
                _ => null,
            };
            if (test is null)
            {
                return new TestSelection(Array.Empty<string>(), name, tool == ComparisonTool.Sockperf
                    ? $"sockperf has no test '{name}': with -Tool Sockperf give -TestName {string.Join(", ", SockperfRequest.KnownProtocols)} (or UDP_RR, TCP_RR, which stand for them)."
                    : $"netperf has no test '{name}': give -TestName {Or(NetperfRequest.KnownTests)}, or -Tool Sockperf to measure the protocol {name} with sockperf.");
            }
            if (!tests.Contains(test)) tests.Add(test);
        }
        return new TestSelection(tests, null, null);
    }

    /// <summary>Null, or why the tool does not take an option that was given: sockperf has no CPU binding (netperf -T).</summary>
    public static string? OptionProblem(ComparisonTool tool, string option) => tool == ComparisonTool.Sockperf
        ? $"-{option} binds netperf (netperf -T); sockperf has no such option, so -Tool Sockperf does not take it. Bind the whole pwsh with taskset instead, or measure with netperf."
        : null;

    private static string Or(IReadOnlyList<string> items) => string.Join(", ", items.Take(items.Count - 1)) + " or " + items[^1];

    /// <summary>The arms when none are described: netperf on this host, and in a container of <paramref name="image"/>.</summary>
    public static ComparisonArm[] DefaultArms(string? image, string onloadProfile) => new[]
    {
        new ComparisonArm { Label = BareMetalLabel, OnloadProfile = onloadProfile },
        new ComparisonArm { Label = ContainerLabel, Image = image ?? DefaultImage, OnloadProfile = onloadProfile },
    };

    /// <summary>
    /// Null when the container arm's missing image is built (the default arms, with -BaseImage to build it from); else
    /// why the arm cannot start: an image named in an -Arm, or the default one without a base, is not built here.
    /// </summary>
    public static string? MissingImageProblem(string image, bool armsDescribed, string? baseImage) =>
        armsDescribed ? $"Image '{image}' does not exist."
        : baseImage is null ? $"The container arm needs an Onload image: '{image}' does not exist. Give -BaseImage (an image with netperf) to build it with New-OnloadImage, or -Image with an existing one."
        : null;

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

/// <summary>The experiment's tests; or <see cref="Refused"/>, a -TestName (upper case) the tool has no test for, and <see cref="Problem"/>, why.</summary>
internal sealed record TestSelection(IReadOnlyList<string> Tests, string? Refused, string? Problem);

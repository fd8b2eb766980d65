using OnloadTools.Latency;

namespace OnloadTools.Tests.Latency;

/// <summary>
/// What the comparison cmdlets decide before any statistics: runs grouped and paired by label and test (RunPairing,
/// Compare-LatencyRun and Export-LatencyReport), and Invoke-LatencyComparison's tests and arms (ComparisonPlan). The
/// cmdlets' errors for these are History/Compare/Comparison.Tests.ps1's.
/// </summary>
public sealed class ComparisonPlanTests
{
    private static LatencyRun Run(string label, string test) => SyntheticRuns.Make(label, test, 20, 0.02, 3, seed: label.Length + test.Length);

    [Fact]
    public void Runs_are_grouped_by_label_ignoring_case_and_every_other_label_goes_against_the_reference()
    {
        var runs = new[] { Run("bare-metal", "TCP_RR"), Run("container", "TCP_RR"), Run("BARE-METAL", "UDP_RR"), Run("onload", "TCP_RR"), Run("Container", "UDP_RR") };
        var (reference, others) = RunPairing.ByLabel(runs, "Bare-Metal");
        Assert.Equal(new[] { runs[0], runs[2] }, reference);
        Assert.Equal(new[] { "container", "onload" }, others.Select(g => g.Label));   // first spelling seen, in order
        Assert.Equal(new[] { runs[1], runs[4] }, others[0].Runs);
        Assert.Equal(new[] { runs[3] }, others[1].Runs);
        Assert.Empty(RunPairing.ByLabel(new[] { runs[0] }, "bare-metal").Others);
    }

    [Fact]
    public void A_missing_reference_label_names_the_labels_seen()
    {
        var runs = new[] { Run("bare-metal", "TCP_RR"), Run("container", "TCP_RR"), Run("Container", "UDP_RR") };
        Assert.Null(RunPairing.ReferenceLabelMissing(runs, "CONTAINER"));
        Assert.Equal("No input run has the label 'nightly'. Labels seen: 'bare-metal', 'container'.", RunPairing.ReferenceLabelMissing(runs, "nightly"));
        Assert.Equal("No input run has the label 'x'. Labels seen: (no runs).", RunPairing.ReferenceLabelMissing(Array.Empty<LatencyRun>(), "x"));
    }

    [Fact]
    public void Runs_pair_by_test_name_ignoring_case_and_the_refusal_names_both_sides_tests()
    {
        var reference = new[] { Run("a", "TCP_RR") };
        Assert.True(RunPairing.HaveCommonTest(reference, new[] { Run("b", "tcp_rr") }));
        var difference = new[] { Run("b", "UDP_RR"), Run("b", "TCP_CRR") };
        Assert.False(RunPairing.HaveCommonTest(reference, difference));
        string message = RunPairing.NoPairsMessage(reference, difference);
        Assert.Contains("the reference has TCP_RR, the difference ('b') has UDP_RR, TCP_CRR", message);
        Assert.Equal("b", RunPairing.DifferenceLabel(difference));
        Assert.Null(RunPairing.DifferenceLabel(Array.Empty<LatencyRun>()));
    }

    [Fact]
    public void Each_tool_gets_its_own_tests_in_the_order_asked_and_once()
    {
        Assert.Equal(new[] { "UDP_RR", "TCP_RR" }, ComparisonPlan.TestsFor(ComparisonTool.Netperf, new[] { "udp_rr", "TCP_RR", "UDP_RR" }).Tests);
        Assert.Equal(new[] { "TCP", "UDP" }, ComparisonPlan.TestsFor(ComparisonTool.Sockperf, new[] { "TCP_RR", "tcp", "UDP_RR" }).Tests);

        var crr = ComparisonPlan.TestsFor(ComparisonTool.Sockperf, new[] { "TCP_RR", "TCP_CRR" });
        Assert.Equal("TCP_CRR", crr.Refused);
        Assert.Contains("-TestName UDP, TCP", crr.Problem);
        var udp = ComparisonPlan.TestsFor(ComparisonTool.Netperf, new[] { "UDP" });
        Assert.Equal("UDP", udp.Refused);
        Assert.Contains("give -TestName TCP_RR, UDP_RR or TCP_CRR", udp.Problem);

        // Every name -TestName takes is some tool's test: the set is the two lists, written once each.
        Assert.Equal(NetperfRequest.KnownTests.Concat(SockperfRequest.KnownProtocols), ComparisonPlan.TestNames);
        Assert.All(ComparisonPlan.TestNames, n => Assert.True(
            ComparisonPlan.TestsFor(ComparisonTool.Netperf, new[] { n }).Refused is null || ComparisonPlan.TestsFor(ComparisonTool.Sockperf, new[] { n }).Refused is null, n));
        Assert.NotNull(ComparisonPlan.OptionProblem(ComparisonTool.Sockperf, "LocalCpu"));
        Assert.Null(ComparisonPlan.OptionProblem(ComparisonTool.Netperf, "LocalCpu"));
    }

    [Fact]
    public void The_default_arms_are_bare_metal_and_a_container_of_the_default_image_and_two_arms_need_two_labels()
    {
        var arms = ComparisonPlan.DefaultArms(null, "throughput");
        Assert.Equal(new[] { "bare-metal", "container" }, arms.Select(a => a.Label));
        Assert.Null(arms[0].Image);
        Assert.Equal(ComparisonPlan.DefaultImage, arms[1].Image);
        Assert.All(arms, a => Assert.Equal("throughput", a.OnloadProfile));
        Assert.Equal("localhost/x:1", ComparisonPlan.DefaultArms("localhost/x:1", OnloadProfileName.Default)[1].Image);
        Assert.Null(ComparisonPlan.ArmsProblem(arms));
        Assert.Contains("same label", ComparisonPlan.ArmsProblem(new[] { new ComparisonArm { Label = "a" }, new ComparisonArm { Label = "A" } }));
        Assert.Equal("bare-metal vs container", ComparisonPlan.Title(arms));
    }

    [Fact]
    public void A_missing_image_is_built_only_for_the_default_arms_with_a_base()
    {
        Assert.Null(ComparisonPlan.MissingImageProblem("localhost/i:1", armsDescribed: false, baseImage: "localhost/base"));
        Assert.Contains("Give -BaseImage", ComparisonPlan.MissingImageProblem("localhost/i:1", armsDescribed: false, baseImage: null));
        Assert.Equal("Image 'localhost/i:1' does not exist.", ComparisonPlan.MissingImageProblem("localhost/i:1", armsDescribed: true, baseImage: "localhost/base"));
    }

    [Fact]
    public void The_comparison_defaults_are_inside_their_ranges()
    {
        Assert.InRange(ComparisonOptions.DefaultEquivalenceMargin, ComparisonOptions.MinEquivalenceMargin, ComparisonOptions.MaxEquivalenceMargin);
        Assert.InRange(ComparisonOptions.DefaultRegressionThreshold, ComparisonOptions.MinRegressionThreshold, ComparisonOptions.MaxRegressionThreshold);
        Assert.InRange(ComparisonOptions.DefaultConfidenceLevel, ComparisonOptions.MinConfidenceLevel, ComparisonOptions.MaxConfidenceLevel);
        var fresh = new ComparisonOptions();
        Assert.Equal((5.0, 5.0, 0.95), (fresh.EquivalenceMargin, fresh.RegressionThreshold, fresh.ConfidenceLevel));
    }
}

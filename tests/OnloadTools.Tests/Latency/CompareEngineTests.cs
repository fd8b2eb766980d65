using System.Management.Automation;
using OnloadTools.Latency;

namespace OnloadTools.Tests.Latency;

/// <summary>Compare-LatencyRun in a real PowerShell engine, fed the way admins feed it.</summary>
public class CompareEngineTests
{
    private static LatencyRun[] Runs() => new[]
    {
        SyntheticRuns.Make("bare-metal", "TCP_RR", 20, 0.02, 6, 11),
        SyntheticRuns.Make("bare-metal", "UDP_RR", 18, 0.02, 6, 12),
        SyntheticRuns.Make("container", "TCP_RR", 24, 0.02, 6, 13),
        SyntheticRuns.Make("container", "UDP_RR", 18, 0.02, 6, 14),
    };

    private static LatencyComparison[] Comparisons(PowerShellEngine.Result r) =>
        r.Output.Select(o => Assert.IsType<LatencyComparison>(o.BaseObject)).ToArray();

    [Fact]
    public void Piped_runs_are_grouped_by_label_and_paired_by_test()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run("$runs | Compare-LatencyRun -ReferenceLabel bare-metal", ("runs", Runs()));
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        var c = Comparisons(r);
        Assert.Equal(12, c.Length);   // 2 tests × 6 metrics
        Assert.All(c, x => Assert.Equal("bare-metal", x.ReferenceLabel));
        Assert.All(c, x => Assert.Equal("container", x.DifferenceLabel));
        Assert.Equal("Slower", c.Single(x => x.TestName == "TCP_RR" && x.Metric == "Mean").Verdict);
        Assert.True(c.Single(x => x.TestName == "TCP_RR" && x.Metric == "P99").IsRegression);
        Assert.Equal("Equivalent", c.Single(x => x.TestName == "UDP_RR" && x.Metric == "Mean").Verdict);
        Assert.Contains("OnloadTools.LatencyComparison", r.Output[0].TypeNames);
    }

    [Fact]
    public void One_way_and_round_trip_latencies_are_not_compared_with_each_other()
    {
        var runs = Runs();
        // A sockperf run in its default one-way mode must not be judged against netperf's round trips.
        runs[2].LatencyKind = "OneWay";
        using var engine = new PowerShellEngine();
        var r = engine.Run("$runs | Compare-LatencyRun -ReferenceLabel bare-metal", ("runs", runs));
        var e = Assert.Single(r.Errors);
        Assert.StartsWith("LatencyKindMismatch,", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidData, e.CategoryInfo.Category);
        Assert.Equal("TCP_RR", e.TargetObject);
        var c = Comparisons(r);
        Assert.NotEmpty(c);
        Assert.All(c, x => Assert.Equal("UDP_RR", x.TestName));
    }

    [Fact]
    public void Difference_runs_can_be_piped_against_a_ReferenceRun()
    {
        using var engine = new PowerShellEngine();
        var runs = Runs();
        var r = engine.Run("$runs | Where-Object Label -eq container | Compare-LatencyRun -ReferenceRun ($runs | Where-Object Label -eq bare-metal) -Metric Mean",
            ("runs", runs));
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        var c = Comparisons(r);
        Assert.Equal(new[] { "TCP_RR", "UDP_RR" }, c.Select(x => x.TestName));
        Assert.All(c, x => Assert.Equal(6, x.DifferenceCount));

        var stray = engine.Run("@($runs[2], 42, $runs[3]) | Compare-LatencyRun -ReferenceRun $runs[0], $runs[1] -Metric Mean", ("runs", runs));
        Assert.Equal(ErrorCategory.InvalidArgument, Assert.Single(stray.Errors).CategoryInfo.Category);
        Assert.Equal(2, stray.Output.Count);
    }

    [Fact]
    public void Several_difference_labels_are_each_compared_with_the_reference()
    {
        using var engine = new PowerShellEngine();
        var runs = Runs().Append(SyntheticRuns.Make("onload", "TCP_RR", 15, 0.02, 6, 15)).ToArray();
        var r = engine.Run("$runs | Compare-LatencyRun -ReferenceLabel BARE-METAL -Metric Mean", ("runs", runs));
        var c = Comparisons(r);
        Assert.Equal(3, c.Length);
        Assert.Equal("Faster", c.Single(x => x.DifferenceLabel == "onload").Verdict);
    }

    [Fact]
    public void Deserialized_runs_from_a_real_serialization_round_trip_compare_exactly_like_live_ones()
    {
        using var engine = new PowerShellEngine();
        var live = engine.Run("Compare-LatencyRun -ReferenceRun ($runs | Where-Object Label -eq bare-metal) -DifferenceRun ($runs | Where-Object Label -eq container)",
            ("runs", Runs()));
        var r = engine.Run("""
            $bags = $runs | ForEach-Object {
                [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($_, 2))
            }
            if ($bags[0].PSObject.TypeNames[0] -ne 'Deserialized.OnloadTools.LatencyRun') { throw "not a property bag: $($bags[0].PSObject.TypeNames[0])" }
            if ($bags[0].Samples[0].PSObject.TypeNames[0] -ne 'Deserialized.OnloadTools.LatencySample') { throw "samples are not bags" }
            Compare-LatencyRun -ReferenceRun ($bags | Where-Object Label -eq bare-metal) -DifferenceRun ($bags | Where-Object Label -eq container)
            """, ("runs", Runs()));
        Assert.Null(r.Terminating);
        Assert.Empty(r.Warnings);
        var a = Comparisons(live);
        var b = Comparisons(r);
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].Metric, b[i].Metric);
            Assert.Equal(a[i].ReferenceValues, b[i].ReferenceValues);
            Assert.Equal(a[i].PValue, b[i].PValue);
            Assert.Equal(a[i].ConfidenceIntervalLow, b[i].ConfidenceIntervalLow);
            Assert.Equal(a[i].Verdict, b[i].Verdict);
        }
    }

    [Fact]
    public void Runs_serialized_at_the_default_depth_keep_their_samples_thanks_to_the_type_data()
    {
        // Invoke-Command and Export-Clixml use the type's SerializationDepth (2 in OnloadTools.Types.ps1xml).
        using var engine = new PowerShellEngine();
        var r = engine.Run("""
            $bags = $runs | ForEach-Object { [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($_)) }
            $bags | Compare-LatencyRun -ReferenceLabel bare-metal -Metric P99
            """, ("runs", Runs()));
        Assert.Null(r.Terminating);
        Assert.Empty(r.Warnings);
        Assert.Equal(2, Comparisons(r).Length);
    }

    [Fact]
    public void Samples_serialized_as_text_at_depth_one_still_give_mean_and_p99_with_a_warning()
    {
        // Serialized where OnloadTools' type data is not loaded (no SerializationDepth 2): the samples become strings.
        var bags = Runs().Select(run => PSSerializer.Deserialize(PSSerializer.Serialize(run, 1))).ToArray();
        var firstSamples = (PSObject)((PSObject)bags[0]).Properties["Samples"].Value;
        Assert.All(((System.Collections.IEnumerable)firstSamples.BaseObject).Cast<object>(), s => Assert.IsType<string>(s));
        using var engine = new PowerShellEngine();
        var r = engine.Run("$bags | Compare-LatencyRun -ReferenceLabel bare-metal", ("bags", bags));
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.Contains(r.Warnings, w => w.Message.Contains("as text"));
        var c = Comparisons(r);
        Assert.Equal(new[] { "Mean", "P99" }, c.Where(x => x.TestName == "TCP_RR").Select(x => x.Metric));
        Assert.Equal("Slower", c.Single(x => x.TestName == "TCP_RR" && x.Metric == "Mean").Verdict);
        Assert.Equal(6, c[0].ReferenceCount);
    }

    [Fact]
    public void Deserialized_comparisons_keep_their_values()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run("""
            $c = $runs | Compare-LatencyRun -ReferenceLabel bare-metal -Metric Mean
            $d = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($c[0]))
            $d.PSObject.TypeNames[0]; $d.ReferenceValues.Count; $d.Verdict
            """, ("runs", Runs()));
        Assert.Null(r.Terminating);
        Assert.Equal("Deserialized.OnloadTools.LatencyComparison", r.Output[0].ToString());
        Assert.Equal(6, (int)r.Output[1].BaseObject);
        Assert.Equal("Slower", r.Output[2].ToString());
    }

    [Fact]
    public void Hashtables_and_json_shaped_objects_are_accepted()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run("""
            function New-Run($label, [double[]]$means) {
                @{ Label = $label; TestName = 'TCP_RR'; RunId = [guid]::NewGuid().ToString('N')
                   Samples = @($means | ForEach-Object { @{ MeanLatency = $_; P99Latency = $_ * 1.5 } }) }
            }
            $a = New-Run 'ref' 10.0, 10.1, 9.9, 10.05, 9.95
            $b = [pscustomobject](New-Run 'new' 12.0, 12.1, 11.9, 12.05, 11.95)
            $b.Samples = @($b.Samples | ForEach-Object { [pscustomobject]$_ })
            Compare-LatencyRun -ReferenceRun $a -DifferenceRun $b
            """);
        Assert.Null(r.Terminating);
        var c = Comparisons(r);
        Assert.Equal(new[] { "Mean", "P99" }, c.Select(x => x.Metric));
        Assert.All(c, x => Assert.Equal("Slower", x.Verdict));
        Assert.Equal(20, c[0].DeltaPercent, 6);
    }

    [Fact]
    public void Wrong_input_type_is_an_InvalidArgument_error()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run("Compare-LatencyRun -ReferenceRun ([datetime]::Now) -DifferenceRun $runs", ("runs", Runs()));
        Assert.Empty(r.Output);
        Assert.Equal("NotALatencyRun,OnloadTools.Commands.CompareLatencyRunCommand", r.SingleError.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, r.SingleError.CategoryInfo.Category);
        Assert.Contains("System.DateTime", r.SingleError.Exception.Message);

        // In the pipeline a stray object is a non-terminating error; the runs still compare.
        var p = engine.Run("@($runs) + 'not a run' | Compare-LatencyRun -ReferenceLabel bare-metal -Metric Mean", ("runs", Runs()));
        Assert.Null(p.Terminating);
        Assert.Equal(ErrorCategory.InvalidArgument, Assert.Single(p.Errors).CategoryInfo.Category);
        Assert.Equal("not a run", p.Errors[0].TargetObject);
        Assert.Equal(2, p.Output.Count);
    }

    [Fact]
    public void No_paired_test_is_ObjectNotFound_naming_both_sides()
    {
        using var engine = new PowerShellEngine();
        var runs = Runs();
        var r = engine.Run("Compare-LatencyRun -ReferenceRun $runs[0] -DifferenceRun $runs[3]", ("runs", runs));
        Assert.Empty(r.Output);
        Assert.Equal("NoPairedRuns,OnloadTools.Commands.CompareLatencyRunCommand", r.SingleError.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, r.SingleError.CategoryInfo.Category);
        Assert.Contains("TCP_RR", r.SingleError.Exception.Message);
        Assert.Contains("UDP_RR", r.SingleError.Exception.Message);

        var missing = engine.Run("$runs | Compare-LatencyRun -ReferenceLabel nightly", ("runs", runs));
        Assert.Equal("ReferenceLabelNotFound,OnloadTools.Commands.CompareLatencyRunCommand", missing.SingleError.FullyQualifiedErrorId);
        Assert.Contains("'container'", missing.SingleError.Exception.Message);
    }

    [Fact]
    public void Too_few_iterations_warn_and_give_Inconclusive()
    {
        using var engine = new PowerShellEngine();
        var a = SyntheticRuns.WithMeans("a", "TCP_RR", 10, 10.1);
        var b = SyntheticRuns.WithMeans("b", "TCP_RR", 20, 20.1);
        var r = engine.Run("Compare-LatencyRun $a $b -Metric Mean, P99", ("a", a), ("b", b));
        Assert.Null(r.Terminating);
        Assert.Contains(r.Warnings, w => w.Message.Contains("Too few iterations"));
        Assert.All(Comparisons(r), x => Assert.Equal("Inconclusive", x.Verdict));
    }

    [Fact]
    public void Margin_and_threshold_parameters_reach_the_decision()
    {
        using var engine = new PowerShellEngine();
        var a = SyntheticRuns.Make("a", "TCP_RR", 20, 0.002, 10, 8);
        var b = SyntheticRuns.Make("b", "TCP_RR", 20.4, 0.002, 10, 9);
        var r = engine.Run("""
            (Compare-LatencyRun $a $b -Metric Mean).Verdict
            (Compare-LatencyRun $a $b -Metric Mean -EquivalenceMargin 1).Verdict
            (Compare-LatencyRun $a $b -Metric Mean -EquivalenceMargin 1 -RegressionThreshold 1).IsRegression
            """, ("a", a), ("b", b));
        Assert.Equal(new[] { "Equivalent", "Slower", "True" }, r.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void Every_script_block_of_the_comparison_view_runs_on_live_and_deserialized_objects()
    {
        // The bare engine has no Format-Table/Out-String: run the view's script blocks directly.
        string xml = File.ReadAllText(Path.Combine(TestPaths.ModuleDirectory, "OnloadTools.Latency.Format.ps1xml"));
        var doc = System.Xml.Linq.XDocument.Parse(xml);
        var view = doc.Descendants("View").Single(v => v.Element("Name")!.Value == "OnloadTools.LatencyComparison");
        Assert.Contains("Deserialized.OnloadTools.LatencyComparison", view.Descendants("TypeName").Select(t => t.Value));
        var blocks = view.Descendants("ScriptBlock").Select(b => b.Value).ToArray();
        Assert.True(blocks.Length >= 8);
        using var engine = new PowerShellEngine();
        var r = engine.Run("""
            $c = @(Compare-LatencyRun $a $b -Metric Mean, TransactionRate)
            $c += [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($c[0]))
            foreach ($item in $c) { foreach ($text in $blocks) { $item | ForEach-Object { & ([scriptblock]::Create($text)) } } }
            """, ("a", SyntheticRuns.Make("a", "TCP_RR", 20, 0.02, 5, 1)), ("b", SyntheticRuns.Make("b", "TCP_RR", 30, 0.02, 5, 2)),
            ("blocks", blocks));
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        var texts = r.Output.Select(o => o.ToString()).ToArray();
        Assert.Contains("Mean (µs)", texts);
        Assert.Contains("TransactionRate (trans/s)", texts);
        Assert.Contains("REGRESSION", texts);
        Assert.Contains(texts, t => t.StartsWith("[+") && t.Contains(", +"));
    }
}

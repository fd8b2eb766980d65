using System.Management.Automation;
using OnloadTools.Latency;
using OnloadTools.Reporting;

namespace OnloadTools.Commands;

/// <summary>
/// Export-LatencyReport: one self-contained HTML file comparing latency runs (reference and difference side by side,
/// the verdicts in words, per-iteration points, percentile ladders, trends over nights), and the jitter runs of
/// Measure-HostJitter given with them (per CPU: maximum and tail against the threshold, the previous run beside).
/// </summary>
[Cmdlet(VerbsData.Export, "LatencyReport", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FileInfo))]
public sealed class ExportLatencyReportCommand : OnloadCmdlet
{
    /// <summary>Latency runs and jitter runs (live, deserialized, imported), from the pipeline or as an array.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    public object[]? InputObject { get; set; }

    /// <summary>The HTML file to write.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The label of the reference runs; default: the label of the first run received.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RunLabelCompleter))]
    public string? ReferenceLabel { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Title { get; set; } = "OnloadTools latency report";

    /// <summary>± % inside which the whole CI must lie for Equivalent (default 5), as in Compare-LatencyRun.</summary>
    [Parameter]
    [ValidateRange(ComparisonOptions.MinEquivalenceMargin, ComparisonOptions.MaxEquivalenceMargin)]
    public double EquivalenceMargin { get; set; } = ComparisonOptions.DefaultEquivalenceMargin;

    /// <summary>% slowdown the whole CI must exceed for a regression (default 5), as in Compare-LatencyRun.</summary>
    [Parameter]
    [ValidateRange(ComparisonOptions.MinRegressionThreshold, ComparisonOptions.MaxRegressionThreshold)]
    public double RegressionThreshold { get; set; } = ComparisonOptions.DefaultRegressionThreshold;

    /// <summary>For a history of one label: the baseline is the median run (by mean latency) of the last N completed
    /// earlier runs of each test (default 7), the rule Select-LatencyBaseline applies.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int BaselineCount { get; set; } = LatencyBaseline.DefaultCount;

    /// <summary>Returns the written file.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private readonly List<LatencyRun> _runs = new();
    private readonly List<object?> _jitter = new();

    protected override void Process()
    {
        // Jitter runs (and Measure-HostJitter's per-CPU results) go to their own sections; everything else is a latency run.
        var latency = new List<object>();
        foreach (object? item in (InputObject ?? Array.Empty<object>()).SelectMany(LatencyRunBinder.Flatten))
        {
            if (item is null) continue;
            if (HostJitterRunBinder.IsJitter(item)) _jitter.Add(item);
            else latency.Add(item);
        }
        _runs.AddRange(BindRuns(latency.ToArray()));
    }

    protected override void End()
    {
        List<HostJitterRun> jitter = new();
        try
        {
            jitter = HostJitterRunBinder.Bind(_jitter);
        }
        catch (HostJitterRunBindingException e)
        {
            ThrowTerminatingError(Error(e, e.ErrorId, e.Category, null));
        }
        if (_runs.Count == 0 && jitter.Count == 0)
        {
            ThrowTerminatingError(Error(new ArgumentException("No latency runs were given: pipe the output of Measure-NetperfLatency, Measure-SockperfLatency or Import-LatencyRun (or jitter runs of Measure-HostJitter, Import-HostJitterRun)."),
                "NoLatencyRuns", ErrorCategory.InvalidArgument, null));
        }
        if (ReferenceLabel is not null && RunPairing.ReferenceLabelMissing(_runs, ReferenceLabel) is { } missing)
        {
            ThrowTerminatingError(Error(new ItemNotFoundException(missing), ErrorIds.ReferenceLabelNotFound, ErrorCategory.ObjectNotFound, ReferenceLabel));
        }
        foreach (var run in _runs.Where(r => r.Samples.Length == 0))
        {
            WriteWarning($"Run {run.RunId} ({run.Label} {run.TestName}) has no completed iterations; it adds nothing to the report.");
        }

        var options = new ReportOptions
        {
            ReferenceLabel = ReferenceLabel,
            Title = Title,
            Generated = DateTime.UtcNow,
            BaselineCount = BaselineCount,
            Comparison = new ComparisonOptions { EquivalenceMargin = EquivalenceMargin, RegressionThreshold = RegressionThreshold },
        };
        var model = LatencyReportBuilder.Build(_runs, options);
        JitterReportBuilder.AddTo(model, jitter, latencyRunsToo: _runs.Count > 0);
        if (ReferenceLabel is null && _runs.Select(r => r.Label).Distinct(StringComparer.OrdinalIgnoreCase).Count() > 1)
        {
            WriteVerbose($"No -ReferenceLabel: '{_runs[0].Label}', the label of the first run, is the reference.");
        }
        foreach (var section in model.Sections)
        {
            foreach (var line in section.Verdicts.Where(v => v.IsHeadline)) WriteVerbose($"{section.TestName}: {line.Text}");
        }
        string html = HtmlReportWriter.Write(model);

        string path = GetUnresolvedProviderPathFromPSPath(Path);
        bool exists = File.Exists(path);
        if (Directory.Exists(path))
        {
            ThrowTerminatingError(Error(new IOException($"'{path}' is a directory; give the path of the .html file to write."),
                ErrorIds.ReportPathIsDirectory, ErrorCategory.InvalidArgument, path));
        }
        int count = _runs.Count + jitter.Count;
        if (!ShouldProcess(path, exists ? $"Overwrite with a latency report of {count} run(s)" : $"Write a latency report of {count} run(s)"))
        {
            return;
        }
        try
        {
            string? dir = System.IO.Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            LatencyRunStore.WriteAtomically(path, html);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(WriteFailure(e, ErrorIds.ReportWriteFailed, path));
        }
        if (PassThru)
        {
            // Through the FileSystem provider, as Get-Item returns it: the provider's notes (PSParentPath …) and
            // its code properties (UnixMode, User, Size) are what FileInfo's default view needs to show anything.
            WriteObject(SessionState.InvokeProvider.Item.Get(new[] { path }, force: true, literalPath: true), enumerateCollection: true);
        }
    }
}

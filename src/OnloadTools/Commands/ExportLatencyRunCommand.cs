using System.Management.Automation;
using OnloadTools.Latency;

namespace OnloadTools.Commands;

/// <summary>
/// Export-LatencyRun: adds runs to a history — a folder (one JSON file per run, written atomically) or a .jsonl
/// file (one line per run, appended and flushed to disk). What is already there is never rewritten.
/// </summary>
[Cmdlet(VerbsData.Export, "LatencyRun", SupportsShouldProcess = true)]
[OutputType(typeof(LatencyRun))]
public sealed class ExportLatencyRunCommand : OnloadCmdlet
{
    /// <summary>A history folder, or a file ending in .jsonl.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipeline = true, Position = 1)]
    [AllowNull]
    public object[]? InputObject { get; set; }

    /// <summary>Writes each run to the pipeline after saving it.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private string _path = "";

    protected override void Begin()
    {
        _path = GetUnresolvedProviderPathFromPSPath(Path);
        // Nothing is created here: -WhatIf must write nothing. Unwritable places are reported per run (LatencyRunWriteFailed).
        if (LatencyRunStore.CheckHistoryPath(_path, probeWrite: false) is { } problem)
        {
            var (errorId, category) = Classify(problem.Issue);
            ThrowTerminatingError(Error(new ArgumentException(problem.Message), errorId, category, _path));
        }
    }

    /// <summary>The ErrorId and category of a path that cannot be a history (shared with Measure-*Latency -HistoryPath).</summary>
    internal static (string ErrorId, ErrorCategory Category) Classify(LatencyRunStore.HistoryPathIssue issue) => issue switch
    {
        LatencyRunStore.HistoryPathIssue.IsAFile => ("HistoryPathIsAFile", ErrorCategory.InvalidArgument),
        LatencyRunStore.HistoryPathIssue.SingleJsonFile => ("HistoryPathNotSupported", ErrorCategory.InvalidArgument),
        LatencyRunStore.HistoryPathIssue.IsAFolder => ("HistoryPathIsAFolder", ErrorCategory.InvalidArgument),
        LatencyRunStore.HistoryPathIssue.NotRegularFile => ("HistoryPathNotRegularFile", ErrorCategory.InvalidArgument),
        _ => ("HistoryPathNotWritable", ErrorCategory.PermissionDenied),
    };

    protected override void Process()
    {
        if (InputObject is null) return;
        foreach (LatencyRun run in BindRuns(InputObject))
        {
            string target = LatencyRunStore.IsLinesFile(_path) ? _path : System.IO.Path.Combine(_path, LatencyRunStore.FileNameFor(run));
            if (!ShouldProcess(target, $"Export run {run.RunId} ({run.Label} {run.TestName}, {run.Samples.Length} iteration(s))")) continue;
            try
            {
                string written = LatencyRunStore.Export(run, _path);
                WriteVerbose($"Saved {run.Label} {run.TestName} ({run.RunId}) to {written}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                WriteError(WriteFailure(e, "LatencyRunWriteFailed", _path));
                continue;
            }
            if (PassThru) WriteObject(run);
        }
    }
}

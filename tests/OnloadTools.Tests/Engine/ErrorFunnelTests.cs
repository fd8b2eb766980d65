using System.Management.Automation;
using System.Management.Automation.Runspaces;
using OnloadTools.Commands;
using OnloadTools.Tuning;

namespace OnloadTools.Tests.Engine;

/// <summary>
/// The one error funnel of OnloadCmdlet, seen through a real engine: a probe cmdlet built on the base throws what the
/// domain throws (or a bug) from Process(), and the error PowerShell reports is checked. A mapped domain failure keeps
/// the table's ErrorId, category and target; a defect surfaces as itself, with its stack in -Debug.
/// </summary>
public sealed class ErrorFunnelTests : IDisposable
{
    /// <summary>A cmdlet on the funnel base with no catch of its own, throwing whatever -Case names. Internal: xunit's
    /// discovery reads the exported types before the module folder's OnloadTools.dll can be resolved.</summary>
    [Cmdlet("Invoke", "FunnelProbe")]
    internal sealed class InvokeFunnelProbeCommand : OnloadCmdlet
    {
        [Parameter(Position = 0)]
        public string Case { get; set; } = "";

        protected override void Process()
        {
            switch (Case)
            {
                case "defect":
                    throw new InvalidOperationException("a bug in the probe");
                case "domain":
                    throw new InterfaceNotFoundException("eth9", new[] { "lo", "eth0" });
                case "target":
                    ErrorTarget = "/sys/class/net";
                    throw new UnauthorizedAccessException("Access to the path '/sys/class/net' is denied.");
                case "items":
                    // Per item: the failing one is a non-terminating error, the next one still runs.
                    TryItem(() => throw new TunedProfileNotFoundException("nosuch"), "first");
                    if (TryItem(() => "second done", "second", out var done)) WriteObject(done);
                    break;
                case "item-defect":
                    TryItem(() => throw new NullReferenceException("a bug inside an item"), "first");
                    WriteObject("never reached");
                    break;
            }
        }
    }

    private readonly Runspace _runspace;

    public ErrorFunnelTests()
    {
        var iss = InitialSessionState.CreateDefault2();
        iss.Commands.Add(new SessionStateCmdletEntry("Invoke-FunnelProbe", typeof(InvokeFunnelProbeCommand), null));
        _runspace = RunspaceFactory.CreateRunspace(iss);
        _runspace.Open();
    }

    public void Dispose() => _runspace.Dispose();

    private (List<PSObject> Output, List<ErrorRecord> Errors, List<DebugRecord> Debug, RuntimeException? Terminating) Run(string script)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(script);
        var output = new List<PSObject>();
        RuntimeException? terminating = null;
        try
        {
            output.AddRange(ps.Invoke());
        }
        catch (RuntimeException e)
        {
            terminating = e;
        }
        return (output, ps.Streams.Error.ToList(), ps.Streams.Debug.ToList(), terminating);
    }

    [Fact]
    public void A_domain_failure_keeps_the_tables_ErrorId_category_and_the_exceptions_own_target()
    {
        var (_, errors, _, terminating) = Run("Invoke-FunnelProbe domain");
        Assert.Null(terminating);
        var e = Assert.Single(errors);
        Assert.Equal(ErrorIds.InterfaceNotFound + ",OnloadTools.Tests.Engine.ErrorFunnelTests+InvokeFunnelProbeCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
        Assert.Equal("eth9", e.TargetObject);
        Assert.IsType<InterfaceNotFoundException>(e.Exception);
    }

    [Fact]
    public void An_exception_that_names_no_target_gets_the_cmdlets_ErrorTarget()
    {
        var (_, errors, _, _) = Run("Invoke-FunnelProbe target");
        var e = Assert.Single(errors);
        Assert.StartsWith(ErrorIds.PermissionDenied + ",", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.PermissionDenied, e.CategoryInfo.Category);
        Assert.Equal("/sys/class/net", e.TargetObject);
    }

    [Fact]
    public void A_defect_surfaces_as_itself_and_shows_its_stack_in_Debug()
    {
        var (_, errors, debug, terminating) = Run("Invoke-FunnelProbe defect -Debug");
        var record = terminating?.ErrorRecord ?? Assert.Single(errors);
        // Not dressed as a mapped error: the exception is the bug's own, and its id is the exception type's.
        var exception = record.Exception is CmdletInvocationException ci ? ci.InnerException : record.Exception;
        var bug = Assert.IsType<InvalidOperationException>(exception);
        Assert.Equal("a bug in the probe", bug.Message);
        Assert.StartsWith("System.InvalidOperationException", record.FullyQualifiedErrorId);
        Assert.Contains(debug, d => d.Message.Contains("System.InvalidOperationException: a bug in the probe", StringComparison.Ordinal)
                                    && d.Message.Contains(nameof(InvokeFunnelProbeCommand), StringComparison.Ordinal)
                                    && d.Message.Contains(" at ", StringComparison.Ordinal));
    }

    [Fact]
    public void One_items_domain_failure_is_non_terminating_and_the_next_item_runs()
    {
        var (output, errors, _, terminating) = Run("Invoke-FunnelProbe items");
        Assert.Null(terminating);
        Assert.Equal(new[] { "second done" }, output.Select(o => o.BaseObject));
        var e = Assert.Single(errors);
        Assert.StartsWith(ErrorIds.TunedProfileNotFound + ",", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
        Assert.Equal("nosuch", e.TargetObject);
    }

    [Fact]
    public void A_defect_inside_an_item_is_not_written_as_an_items_error()
    {
        var (output, errors, _, terminating) = Run("Invoke-FunnelProbe item-defect");
        Assert.Empty(output);
        var record = terminating?.ErrorRecord ?? Assert.Single(errors);
        var exception = record.Exception is CmdletInvocationException ci ? ci.InnerException : record.Exception;
        Assert.IsType<NullReferenceException>(exception);
        Assert.StartsWith("System.NullReferenceException", record.FullyQualifiedErrorId);
    }
}

using System.Management.Automation;
using OnloadTools.Host;
using OnloadTools.Processes;
using OnloadTools.Tuning;

namespace OnloadTools.Commands;

/// <summary>
/// Get-KernelBootArgument: the running kernel's arguments (/proc/cmdline) and, where grubby exists, the arguments
/// the default kernel boots with next, so pending changes show.
/// </summary>
[Cmdlet(VerbsCommon.Get, "KernelBootArgument")]
[OutputType(typeof(KernelBootArgument))]
public sealed class GetKernelBootArgumentCommand : OnloadCmdlet
{
    /// <summary>Argument names (wildcards allowed): isolcpus, nohz*, …</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    /// <summary>Only the arguments whose next boot differs from the running kernel.</summary>
    [Parameter]
    public SwitchParameter Pending { get; set; }

    protected override void End()
    {
        var comparison = Await(new KernelBootArgumentService(Runner, HostFs).CompareAsync(Cancellation));
        if (comparison.GrubbyMissing) WriteVerbose(comparison.NextBootUnknownReason!);
        else if (comparison.NextBootUnknownReason is not null) WriteWarning(comparison.NextBootUnknownReason);
        else WriteVerbose($"Next boot ({comparison.NextBootKernel ?? "default kernel"}): {comparison.NextBootArguments}");
        foreach (string variable in comparison.NextBootVariables) WriteVerbose(variable);
        if (comparison.NextBootNote is { } note) WriteWarning(note);

        var patterns = Name?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();
        foreach (KernelBootArgument arg in Pending.IsPresent ? comparison.Pending : comparison.Arguments)
        {
            if (patterns is not null && !patterns.Any(p => p.IsMatch(arg.Name))) continue;
            WriteObject(arg);
        }
    }
}

using System.Management.Automation;
using OnloadTools.Host;
using OnloadTools.Processes;
using OnloadTools.Tuning;

namespace OnloadTools.Commands;

/// <summary>
/// Set-KernelBootArgument: adds or removes kernel arguments of every boot entry through
/// 'grubby --update-kernel=ALL'. Takes effect at the next boot; never reboots.
/// </summary>
[Cmdlet(VerbsCommon.Set, "KernelBootArgument", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(KernelBootArgumentChange))]
public sealed class SetKernelBootArgumentCommand : OnloadCmdlet
{
    /// <summary>Arguments to add (name or name=value): 'isolcpus=1,3,5','nosoftlockup','mce=ignore_ce'.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string[] Add { get; set; } = Array.Empty<string>();

    /// <summary>Arguments to remove (by name, or name=value).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Remove { get; set; } = Array.Empty<string>();

    protected override void End()
    {
        var add = Add.Select(a => a.Trim()).Where(a => a.Length > 0).Distinct().ToArray();
        var remove = Remove.Select(a => a.Trim()).Where(a => a.Length > 0).Distinct().ToArray();
        if (add.Length == 0 && remove.Length == 0)
        {
            ThrowTerminatingError(Error(new ArgumentException("Give -Add, -Remove or both."), ErrorIds.NoKernelArgumentGiven, ErrorCategory.InvalidArgument, null));
        }
        foreach (string a in add.Concat(remove))
        {
            if (KernelBootArgumentService.ArgumentProblem(a) is { } problem)
            {
                ThrowTerminatingError(Error(new ArgumentException(problem), ErrorIds.InvalidKernelArgument, ErrorCategory.InvalidArgument, a));
            }
        }

        int[] hostCpus = CpuList.Parse(HostInfo.PossibleCpuList(HostFs));
        foreach (string problem in KernelCommandLine.CpusNotOnHost(add, hostCpus)) WriteWarning(problem);

        if (!new GrubbyService(Runner).IsInstalled) throw new ToolNotFoundException(GrubbyService.Grubby);
        var command = GrubbyService.UpdateCommand(add, remove);
        WriteVerbose($"Command: {command.CommandLine}");
        if (!ShouldProcess(command.CommandLine, "Change the kernel arguments of every boot entry (effective at the next reboot)"))
        {
            return;
        }

        ErrorTarget = command.CommandLine;
        var (change, warnings) = Await(new KernelBootArgumentService(Runner, HostFs).ApplyAsync(add, remove, Cancellation));
        foreach (string warning in warnings.Distinct()) WriteWarning(warning);
        if (change.RebootRequired) WriteWarning("The new kernel arguments take effect at the next reboot. Nothing was rebooted.");
        WriteObject(change);
    }
}

using System.Management.Automation;
using OnloadTools.Processes;
using OnloadTools.Tuning;

namespace OnloadTools.Commands;

/// <summary>
/// Invoke-TunedProfile: switches the tuned profile (or turns tuned off) through tuned-adm and reports every
/// sysctl/sysfs value the switch touched, read from /proc/sys and /sys before and after, whether a reboot is
/// needed for the profile's kernel arguments, and what 'tuned-adm verify' says.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "TunedProfile", DefaultParameterSetName = NameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(TunedProfileChange))]
public sealed class InvokeTunedProfileCommand : OnloadCmdlet
{
    private const string NameSet = "Name";
    private const string OffSet = "Off";

    [Parameter(ParameterSetName = NameSet, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(TunedProfileNameCompleter))]
    [ValidateNotNullOrEmpty]
    [ValidatePattern(@"^[A-Za-z0-9_.\- ]+$")]
    public string? Name { get; set; }

    /// <summary>Switches all tuning off (tuned-adm off).</summary>
    [Parameter(ParameterSetName = OffSet, Mandatory = true)]
    public SwitchParameter Off { get; set; }

    protected override void Process()
    {
        var service = new TunedService(Runner, HostFs);
        if (!service.IsInstalled) throw new ToolNotFoundException(TunedService.TunedAdm);
        string? name = Off.IsPresent ? null : Name!.Trim();
        ErrorTarget = name ?? "off";

        TunedProfileSwitch plan = Await(service.PlanSwitchAsync(name, Cancellation));
        string description = plan.Description;
        WriteVerbose(description);
        // -Confirm asks with the same details -WhatIf prints: every value that changes, not just the command.
        if (!ShouldProcess(description, $"{description}.{Environment.NewLine}Run '{plan.Command.CommandLine}'?", "Invoke-TunedProfile"))
        {
            return;
        }

        WriteVerbose($"Running {plan.Command.CommandLine}");
        var change = Await(service.SwitchAsync(plan, Cancellation));
        if (change.RebootRequired)
        {
            WriteWarning($"The profile '{name}' wants kernel arguments the running kernel lacks ({string.Join(' ', change.MissingBootArguments)}): they take effect after a reboot. Nothing was rebooted.");
        }
        WriteObject(change);
    }
}

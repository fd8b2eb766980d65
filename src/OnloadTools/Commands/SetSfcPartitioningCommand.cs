using System.Management.Automation;
using OnloadTools.Solarflare;

namespace OnloadTools.Commands;

/// <summary>
/// Set-SfcPartitioning: `sfboot [--adapter=IF] pf-count=N switch-mode=partitioning firmware-variant=full-feature`,
/// the adapter boot configuration of the reference architecture. Takes effect after a cold reboot; never reboots.
/// </summary>
[Cmdlet(VerbsCommon.Set, "SfcPartitioning", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(SfcPartitioningResult))]
public sealed class SetSfcPartitioningCommand : OnloadCmdlet
{
    /// <summary>The port to configure (sfboot --adapter). Omitted: every Solarflare adapter, as the guide ran it.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ValidatePattern(@"^[A-Za-z0-9][A-Za-z0-9_.@\-]*$")]
    [ArgumentCompleter(typeof(SfcInterfaceNameCompleter))]
    public string? InterfaceName { get; set; }

    /// <summary>Physical functions per port (sfboot pf-count).</summary>
    [Parameter(Mandatory = true)]
    [ValidateRange(1, SfcPartitioning.MaxPfCount)]
    public int PfCount { get; set; }

    [Parameter]
    [ValidateSet("Default", "Sriov", "Partitioning", "PartitioningWithSriov", "Pfiov")]
    public string SwitchMode { get; set; } = "Partitioning";

    [Parameter]
    [ValidateSet("FullFeature", "UltraLowLatency", "CapturePackedStream", "Dpdk", "Auto")]
    public string FirmwareVariant { get; set; } = "FullFeature";

    /// <summary>VLAN tag of each PF (sfboot pf-vlans), first PF first. An empty array sets "none".</summary>
    [Parameter]
    [AllowEmptyCollection]
    [ValidateCount(0, SfcPartitioning.MaxPfCount)]
    public int[]? PfVlan { get; set; }

    private readonly List<string> _rebootNeeded = new();

    private SfcPartitioningRequest Request(string? interfaceName) => new()
    {
        InterfaceName = interfaceName,
        PfCount = PfCount,
        SwitchMode = SfcPartitioning.SwitchModes[SwitchMode],
        FirmwareVariant = SfcPartitioning.FirmwareVariants[FirmwareVariant],
        PfVlans = PfVlan,
    };

    protected override void Begin()
    {
        // Combinations sfboot would refuse are refused here, before any adapter is touched.
        var problems = SfcPartitioning.Validate(Request(null));
        if (problems.Count > 0)
        {
            var e = new ArgumentException("sfboot would reject this configuration: " + string.Join(" ", problems));
            ThrowTerminatingError(Error(e, ErrorIds.SfbootConfigurationRejected, ErrorCategory.InvalidArgument,
                SfcPartitioning.BuildCommand(Request(null)).CommandLine));
        }
    }

    protected override void Process() => TryItem(Configure, InterfaceName);

    private void Configure()
    {
        var request = Request(InterfaceName);
        var command = SfcPartitioning.BuildCommand(request);
        var service = new SfcToolService(Runner);
        string target = InterfaceName ?? "all Solarflare adapters";

        SfbootOutput before = Await(service.ReadBootConfigAsync(InterfaceName, Cancellation));

        // sfboot lists the port asked for, or at least one adapter (else the service said SfcAdapterNotFound).
        var plans = before.Ports.Where(p => InterfaceName is null || p.InterfaceName == InterfaceName)
            .Select(p => SfcPartitioning.Plan(SfbootParser.ToAdapter(p, before.UtilityVersion), request, command.CommandLine)).ToList();
        if (plans.All(p => p.Changes.Length == 0))
        {
            WriteVerbose($"{target} already has {string.Join(" ", command.Arguments.Where(a => !a.StartsWith("--", StringComparison.Ordinal)))}; sfboot was not run.");
            foreach (var p in plans) WriteObject(p);
            return;
        }

        string changes = string.Join("; ", plans.Where(p => p.Changes.Length > 0).Select(p => $"{p.InterfaceName}: {string.Join(", ", p.Changes)}"));
        string action = $"Run '{command.CommandLine}' ({changes}). The new boot configuration takes effect after a cold reboot";
        if (!ShouldProcess(target, action)) return;

        var (_, after) = Await(service.ApplyBootConfigAsync(command, InterfaceName, Cancellation));

        foreach (var plan in plans)
        {
            var port = after.Ports.FirstOrDefault(p => p.InterfaceName == plan.InterfaceName);
            if (port is null)
            {
                // sfboot printed only part of the configuration: read the port back (a port that cannot be read is its own error).
                if (!TryItem(() => Await(service.ReadBootConfigAsync(plan.InterfaceName, Cancellation)), plan.InterfaceName, out var reread)) continue;
                port = reread.Ports.FirstOrDefault(p => p.InterfaceName == plan.InterfaceName);
            }
            if (port is not null) SfcPartitioning.Complete(plan, SfbootParser.ToAdapter(port, after.UtilityVersion));
            if (plan.ColdRebootRequired) _rebootNeeded.Add(plan.InterfaceName);
            WriteObject(plan);
        }
    }

    protected override void End()
    {
        if (_rebootNeeded.Count > 0)
        {
            WriteWarning($"The new boot configuration of {string.Join(", ", _rebootNeeded)} takes effect only after a cold reboot " +
                "(power the host off and on; a warm restart keeps the old configuration). Nothing was rebooted.");
        }
    }
}

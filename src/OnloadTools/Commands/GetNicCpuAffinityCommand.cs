using System.Management.Automation;
using OnloadTools.Tuning;

namespace OnloadTools.Commands;

/// <summary>Get-NicCpuAffinity: the NUMA node and CPUs local to a network interface, and a CPU pair for netperf -T.</summary>
[Cmdlet(VerbsCommon.Get, "NicCpuAffinity")]
[OutputType(typeof(NicCpuAffinity))]
public sealed class GetNicCpuAffinityCommand : OnloadCmdlet
{
    /// <summary>Interface names (default: every interface with a PCI device).</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "Interface")]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? InterfaceName { get; set; }

    protected override void Process()
    {
        var topology = new NicTopology(HostFs);
        var names = InterfaceName ?? topology.InterfaceNames().Where(n => topology.DeviceDirectory(n) is not null).ToArray();
        foreach (string name in names)
        {
            if (!TryItem(() => topology.Describe(name), name, out var a)) continue;   // InterfaceNotFound
            foreach (string note in a.Notes) WriteVerbose($"{name}: {note}");
            WriteObject(a);
        }
    }
}

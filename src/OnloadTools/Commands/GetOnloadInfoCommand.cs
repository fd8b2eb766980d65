using System.Management.Automation;
using OnloadTools.Onload;

namespace OnloadTools.Commands;

/// <summary>Get-OnloadInfo: the Onload version, kernel modules, device nodes and profiles, and whether the host is ready.</summary>
[Cmdlet(VerbsCommon.Get, "OnloadInfo")]
[OutputType(typeof(OnloadInfo))]
public sealed class GetOnloadInfoCommand : OnloadCmdlet
{
    protected override void Process()
    {
        OnloadInfo info = Await(new OnloadHostInspector(Runner, HostFs).InspectAsync(Cancellation));
        foreach (string p in info.Problems) WriteVerbose(p);
        WriteObject(info);
    }
}

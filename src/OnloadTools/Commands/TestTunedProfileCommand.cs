using System.Management.Automation;
using OnloadTools.Processes;
using OnloadTools.Tuning;

namespace OnloadTools.Commands;

/// <summary>Test-TunedProfile: 'tuned-adm verify', with the settings that differ read from tuned's log.</summary>
[Cmdlet(VerbsDiagnostic.Test, "TunedProfile")]
[OutputType(typeof(TunedProfileVerification))]
[OutputType(typeof(bool))]
public sealed class TestTunedProfileCommand : OnloadCmdlet
{
    /// <summary>Returns only True or False.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void Process()
    {
        var service = new TunedService(Runner, HostFs);
        if (!service.IsInstalled) throw new ToolNotFoundException(TunedService.TunedAdm);
        ErrorTarget = TunedService.TunedAdm;
        var result = Await(service.VerifyAsync(Cancellation));
        foreach (var d in result.Differences) WriteVerbose(d.Message);
        if (Quiet.IsPresent) WriteObject(result.Verified);
        else WriteObject(result);
    }
}

using System.Management.Automation;
using OnloadTools.Readiness;

namespace OnloadTools.Commands;

/// <summary>
/// Test-OnloadHost: the readiness audit of a host for Onload-accelerated, low-latency containers. One check
/// object per item (Pass/Warn/Fail, found, expected, remediation).
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "OnloadHost")]
[OutputType(typeof(OnloadHostCheck))]
[OutputType(typeof(bool))]
public sealed class TestOnloadHostCommand : OnloadCmdlet
{
    /// <summary>The tuned profile the host should run (default network-latency).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(TunedProfileNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Profile { get; set; } = HostReadinessRequest.DefaultProfile;

    /// <summary>The interface the isolated CPUs must be local to (default: the first sfc interface).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? InterfaceName { get; set; }

    /// <summary>Kernel arguments that must be on /proc/cmdline (a bare name accepts any value).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] KernelArgument { get; set; } = { "isolcpus", "nosoftlockup", "mce=ignore_ce" };

    /// <summary>An image whose Onload version (label org.openonload.version) must equal the host's.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Image { get; set; }

    /// <summary>podman or docker (any case; the engines are ContainerEngine's list). Default: podman when installed, else docker.</summary>
    [Parameter]
    [ValidateContainerEngine]
    [ArgumentCompleter(typeof(ContainerEngineCompleter))]
    public string? Engine { get; set; }

    /// <summary>Also measures the isolated CPUs' jitter with oslat for this many seconds (Measure-HostJitter) and adds its verdict as the HostJitter check.</summary>
    [Parameter]
    [ValidateRange(1, 604800)]
    public int? MeasureJitter { get; set; }

    /// <summary>The microseconds the jitter maximum must stay below for -MeasureJitter (default 20).</summary>
    [Parameter]
    [ValidateRange(0.001, 1000000.0)]
    public double JitterThreshold { get; set; } = 20;

    /// <summary>Returns only True (no check failed) or False.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void End()
    {
        var audit = new HostReadiness(Runner, HostFs, new HostReadinessRequest
        {
            Profile = Profile, InterfaceName = InterfaceName, KernelArguments = KernelArgument, Image = Image, Engine = Engine,
            MeasureJitterSeconds = MeasureJitter, JitterThreshold = JitterThreshold,
        });
        var checks = audit.Checks();
        var progress = new ProgressRecord(4, "Test-OnloadHost", "Checking");
        bool failed = false;
        for (int i = 0; i < checks.Count; i++)
        {
            var (name, run) = checks[i];
            progress.StatusDescription = name;
            progress.PercentComplete = 100 * i / checks.Count;
            progress.SecondsRemaining = -1;
            WriteProgress(progress);
            var started = System.Diagnostics.Stopwatch.StartNew();
            void Tick()
            {
                // Only the jitter measurement is long; once Ctrl+C is pressed, say nothing (WriteProgress would throw).
                if (MeasureJitter is not int seconds || i != checks.Count - 1 || Cancellation.IsCancellationRequested) return;
                progress.SecondsRemaining = (int)Math.Max(0, Math.Ceiling(seconds + Jitter.JitterSession.OverheadSeconds(Jitter.RtTestsParser.Oslat) - started.Elapsed.TotalSeconds));
                WriteProgress(progress);
            }
            // A check that cannot run is HostCheckFailed (non-terminating, the table's); the others still run.
            if (!TryItem(() => Await(run(Cancellation), Tick), name, out var results))
            {
                failed = true;
                continue;
            }
            foreach (var check in results)
            {
                failed |= check.Status == HostCheckStatus.Fail;
                if (!Quiet.IsPresent) WriteObject(check);
            }
        }
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
        if (Quiet.IsPresent) WriteObject(!failed);
    }
}

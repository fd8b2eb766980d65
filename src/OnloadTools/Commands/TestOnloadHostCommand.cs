using System.Management.Automation;
using OnloadTools.Processes;
using OnloadTools.Readiness;
using OnloadTools.Tuning;

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
    public string Profile { get; set; } = "network-latency";

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

    [Parameter]
    [ValidateSet("podman", "docker")]
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

    protected override void EndProcessing()
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
            try
            {
                foreach (var check in Await(run(Cancellation), Tick))
                {
                    failed |= check.Status == HostCheckStatus.Fail;
                    if (!Quiet.IsPresent) WriteObject(check);
                }
            }
            catch (Exception e) when (e is ToolTimeoutException or ToolFailedException or ToolNotFoundException or TunedDaemonException or UnauthorizedAccessException or IOException)
            {
                failed = true;
                WriteError(Error(e, "HostCheckFailed", ErrorCategory.InvalidResult, name));
            }
        }
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
        if (Quiet.IsPresent) WriteObject(!failed);
    }
}

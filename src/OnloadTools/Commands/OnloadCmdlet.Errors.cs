using System.Management.Automation;
using System.Runtime.ExceptionServices;
using OnloadTools.Containers;
using OnloadTools.Jitter;
using OnloadTools.Latency;
using OnloadTools.Onload;
using OnloadTools.Processes;
using OnloadTools.Readiness;
using OnloadTools.Solarflare;
using OnloadTools.Tuning;

namespace OnloadTools.Commands;

/// <summary>
/// The one table of the domain's failures: each typed exception gets its ErrorId (from <see cref="ErrorIds"/>),
/// category, target and recommended action here, once. The funnel (<see cref="OnloadCmdlet"/>'s Begin/Process/End)
/// and <see cref="OnloadCmdlet.TryItem"/> read it; a cmdlet never maps a domain exception itself.
/// </summary>
public abstract partial class OnloadCmdlet
{
    internal const string SfcAdapterRemedy = "List the Solarflare interfaces with Get-SfcInterface; check that the sfc driver is loaded.";
    internal const string TunedDaemonRemedy = "systemctl enable --now tuned";
    internal const string ImageNotFoundRemedy = "Build it with New-OnloadImage, or fetch it with the engine (podman pull IMAGE); Get-OnloadImage lists the Onload images on this host.";

    /// <summary>
    /// The error of a domain failure, or null when the exception is not one the domain raises (a defect, rethrown).
    /// <paramref name="target"/> is what the cmdlet was working on, used when the exception does not name its own.
    /// </summary>
    private protected static ErrorRecord? DomainError(Exception e, object? target) => e switch
    {
        // Solarflare and Onload packages
        SfcAdapterNotFoundException s => Error(s, ErrorIds.SfcAdapterNotFound, ErrorCategory.ObjectNotFound, s.InterfaceName ?? target ?? s.Tool, SfcAdapterRemedy),
        RpmbuildFailedException r => Error(r, ErrorIds.RpmbuildFailed, ErrorCategory.InvalidResult, target ?? r.Result.CommandLine,
            "Read rpmbuild's messages above; missing BuildRequires are installed with 'dnf builddep' on RHEL (or pass -NoDependencyCheck)."),
        RpmQueryFailedException q => Error(q, ErrorIds.RpmQueryFailed, ErrorCategory.InvalidResult, target ?? q.Result.CommandLine),
        RpmQueryUnparsableException d => Error(d, ErrorIds.RpmQueryUnparsable, ErrorCategory.InvalidResult, target),

        // Tuning and kernel arguments
        TunedDaemonException d => Error(d, ErrorIds.TunedDaemonNotRunning, ErrorCategory.ResourceUnavailable, TunedService.TunedAdm, TunedDaemonRemedy),
        TunedProfileNotFoundException p => Error(p, ErrorIds.TunedProfileNotFound, ErrorCategory.ObjectNotFound, p.Name, "Get-TunedProfile lists the installed ones."),
        GrubbyPermissionDeniedException g => Error(g, ErrorIds.GrubbyPermissionDenied, ErrorCategory.PermissionDenied, g.Result.CommandLine, "Run PowerShell as root (sudo pwsh)."),
        KernelCommandLineUnreadableException k => Error(k, ErrorIds.KernelCommandLineUnreadable, ErrorCategory.ResourceUnavailable, "/proc/cmdline"),
        InterfaceNotFoundException i => Error(i, ErrorIds.InterfaceNotFound, ErrorCategory.ObjectNotFound, i.InterfaceName),

        // Containers and images
        ContainerEngineNotFoundException n => Error(n, ErrorIds.ContainerEngineNotInstalled, ErrorCategory.NotInstalled, ContainerEngine.Podman,
            "Install podman ('dnf install podman') or Docker Engine, or put it on PATH."),
        ContainerObjectNotFoundException nf => nf.Kind == "image"
            ? Error(nf, ErrorIds.ImageNotFound, ErrorCategory.ObjectNotFound, nf.Name, ImageNotFoundRemedy)
            : Error(nf, ErrorIds.ContainerNotFound, ErrorCategory.ObjectNotFound, nf.Name),
        ContainerEngineUnavailableException u => Error(u, ErrorIds.ContainerEngineUnavailable, ErrorCategory.ResourceUnavailable, target,
            "Start the engine's service (for docker: systemctl start docker), or choose the other engine with -Engine."),
        ImageBuildFailedException b => Error(b, ErrorIds.ImageBuildFailed, ErrorCategory.InvalidResult, b.Tag),
        OnloadVersionMismatchException m => Error(m, ErrorIds.OnloadVersionMismatch, ErrorCategory.InvalidOperation, m.Image,
            "Build the image with the host's Onload packages (New-OnloadImage), or use -Force."),

        // Test-OnloadHost: a check that could not run, reported with its own failure and the check's name
        HostCheckFailedException h => Error(h.Failure, ErrorIds.HostCheckFailed, ErrorCategory.InvalidResult, h.Check),

        // Latency tools (the test, when one was running, is the target of the failures that name none)
        LatencyToolException l => LatencyError(l, target as string),

        // Host jitter (rt-tests), its runs and their comparison
        HwlatTracerUnavailableException h => Error(h, ErrorIds.HwlatTracerUnavailable, ErrorCategory.ResourceUnavailable, "hwlat"),
        JitterToolException j => Error(j, Pascal(j.Tool) + "Failed", ErrorCategory.InvalidResult, j.Result?.CommandLine ?? j.Tool, j.RecommendedAction),
        JitterToolMismatchException m => Error(m, ErrorIds.JitterToolMismatch, ErrorCategory.InvalidArgument, target),
        HostJitterRunBindingException b => Error(b, b.ErrorId, b.Category, target),

        // What any service can raise
        ToolNotFoundException nf => NotInstalled(nf),
        ToolTimeoutException to => Error(to, ErrorIds.ToolTimedOut, ErrorCategory.OperationTimeout, to.CommandLine),
        ToolFailedException tf => Error(tf, Pascal(tf.Result.ExecutablePath) + "Failed", ErrorCategory.InvalidResult, target ?? tf.Result.CommandLine),
        UnauthorizedAccessException ua => Error(ua, ErrorIds.PermissionDenied, ErrorCategory.PermissionDenied, target),
        _ => null,
    };

    /// <summary>
    /// A file the command writes (a report, a history, a build folder) could not be written: the ErrorId the cmdlet
    /// names, PermissionDenied or WriteError by cause, the path as target.
    /// </summary>
    private protected static ErrorRecord WriteFailure(Exception e, string errorId, object? path) =>
        Error(e, errorId, e is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.WriteError, path);
}

using System.Management.Automation;
using System.Runtime.ExceptionServices;
using OnloadTools.Containers;
using OnloadTools.Onload;
using OnloadTools.Processes;
using OnloadTools.Solarflare;
using OnloadTools.Tuning;

namespace OnloadTools.Commands;

/// <summary>
/// The funnel of the domain's failures into PowerShell errors for the Solarflare, Tuning, Onload and container
/// cmdlets: each typed exception gets its ErrorId, category, target and recommended action here, once.
/// </summary>
public abstract partial class OnloadCmdlet
{
    internal const string SfcAdapterRemedy = "List the Solarflare interfaces with Get-SfcInterface; check that the sfc driver is loaded.";
    internal const string TunedDaemonRemedy = "systemctl enable --now tuned";

    /// <summary>
    /// The error of a domain failure, or null when the exception is not one the domain raises (a bug, rethrown).
    /// <paramref name="target"/> is what the cmdlet was working on when the exception does not name it.
    /// </summary>
    private protected static ErrorRecord? DomainError(Exception e, object? target) => e switch
    {
        SfcAdapterNotFoundException s => Error(s, "SfcAdapterNotFound", ErrorCategory.ObjectNotFound, s.InterfaceName ?? target ?? s.Tool, SfcAdapterRemedy),
        TunedDaemonException d => Error(d, "TunedDaemonNotRunning", ErrorCategory.ResourceUnavailable, TunedService.TunedAdm, TunedDaemonRemedy),
        TunedProfileNotFoundException p => Error(p, "TunedProfileNotFound", ErrorCategory.ObjectNotFound, p.Name, "Get-TunedProfile lists the installed ones."),
        GrubbyPermissionDeniedException g => Error(g, "GrubbyPermissionDenied", ErrorCategory.PermissionDenied, g.Result.CommandLine, "Run PowerShell as root (sudo pwsh)."),
        RpmbuildFailedException r => Error(r, "RpmbuildFailed", ErrorCategory.InvalidResult, target ?? r.Result.CommandLine,
            "Read rpmbuild's messages above; missing BuildRequires are installed with 'dnf builddep' on RHEL (or pass -NoDependencyCheck)."),
        RpmQueryFailedException q => Error(q, "RpmQueryFailed", ErrorCategory.InvalidResult, target ?? q.Result.CommandLine),
        RpmQueryUnparsableException d => Error(d, "RpmQueryUnparsable", ErrorCategory.InvalidResult, target),
        ContainerEngineNotFoundException n => Error(n, "ContainerEngineNotInstalled", ErrorCategory.NotInstalled, ContainerEngine.Podman,
            "Install podman ('dnf install podman') or Docker Engine, or put it on PATH."),
        ContainerObjectNotFoundException nf => Error(nf, nf.Kind == "image" ? "ImageNotFound" : "ContainerNotFound", ErrorCategory.ObjectNotFound, nf.Name,
            nf.Kind == "image" ? "Build it with New-OnloadImage, or fetch it with the engine (podman pull IMAGE); Get-OnloadImage lists the Onload images on this host." : null),
        ContainerEngineUnavailableException u => Error(u, "ContainerEngineUnavailable", ErrorCategory.ResourceUnavailable, target,
            "Start the engine's service (for docker: systemctl start docker), or choose the other engine with -Engine."),
        ImageBuildFailedException b => Error(b, "ImageBuildFailed", ErrorCategory.InvalidResult, b.Tag),
        OnloadVersionMismatchException m => Error(m, "OnloadVersionMismatch", ErrorCategory.InvalidOperation, m.Image,
            "Build the image with the host's Onload packages (New-OnloadImage), or use -Force."),
        _ => CommonError(e, target),
    };

    /// <summary>Throws the PowerShell form of a domain failure; Ctrl+C stops the pipeline; anything else is rethrown.</summary>
    private protected void ThrowDomain(Exception e, object? target)
    {
        if (e is OperationCanceledException && Cancellation.IsCancellationRequested) throw new PipelineStoppedException();
        if (DomainError(e, target) is { } record) ThrowTerminatingError(record);
        ExceptionDispatchInfo.Throw(e);
    }

    /// <summary>
    /// Writes a per-item domain failure as a non-terminating error and returns true; a missing tool still terminates
    /// (every later item would fail the same way), Ctrl+C stops the pipeline, and a bug returns false for the caller to
    /// rethrow. Call it in a catch block, never in an exception filter (what a filter throws is swallowed).
    /// </summary>
    private protected bool WriteDomainError(Exception e, object? target)
    {
        if (e is OperationCanceledException && Cancellation.IsCancellationRequested) throw new PipelineStoppedException();
        if (e is ToolNotFoundException nf) ThrowTerminatingError(NotInstalled(nf));
        if (DomainError(e, target) is not { } record) return false;
        WriteError(record);
        return true;
    }
}

namespace OnloadTools.Commands;

/// <summary>
/// Every fixed ErrorId the module's cmdlets write, defined once: cmdlets and the error table
/// (<see cref="OnloadCmdlet"/>.DomainError) refer to these constants, never to a literal. Scripts act on these
/// strings, so a value never changes once shipped. Ids made from a tool's name (NetperfNotInstalled,
/// TunedAdmFailed, NetserverUnreachable, SockperfTimedOut ...) are built in one place each: OnloadCmdlet.NotInstalled,
/// the ToolFailedException entry of the table, and OnloadCmdlet.LatencyError.
/// </summary>
public static class ErrorIds
{
    // Any cmdlet
    public const string PermissionDenied = "PermissionDenied";
    public const string ToolTimedOut = "ToolTimedOut";
    public const string InvalidArgument = "InvalidArgument";
    public const string InterfaceNotFound = "InterfaceNotFound";

    // Solarflare, Onload packages
    public const string SfcAdapterNotFound = "SfcAdapterNotFound";
    public const string SfcInterfaceNotFound = "SfcInterfaceNotFound";
    public const string RpmbuildFailed = "RpmbuildFailed";
    public const string RpmQueryFailed = "RpmQueryFailed";
    public const string RpmQueryUnparsable = "RpmQueryUnparsable";
    public const string OnloadSourceNotFound = "OnloadSourceNotFound";
    public const string PackageNotFound = "PackageNotFound";
    public const string HostCheckFailed = "HostCheckFailed";

    // Tuning, kernel arguments
    public const string TunedDaemonNotRunning = "TunedDaemonNotRunning";
    public const string TunedProfileNotFound = "TunedProfileNotFound";
    public const string GrubbyPermissionDenied = "GrubbyPermissionDenied";
    public const string KernelCommandLineUnreadable = "KernelCommandLineUnreadable";
    public const string NoKernelArgumentGiven = "NoKernelArgumentGiven";
    public const string InvalidKernelArgument = "InvalidKernelArgument";

    // Containers and images
    public const string ContainerEngineNotInstalled = "ContainerEngineNotInstalled";
    public const string ContainerEngineUnavailable = "ContainerEngineUnavailable";
    public const string ContainerNotFound = "ContainerNotFound";
    public const string ContainerOperationFailed = "ContainerOperationFailed";
    public const string ImageNotFound = "ImageNotFound";
    public const string ImageBuildFailed = "ImageBuildFailed";
    public const string BuildContextFailed = "BuildContextFailed";
    public const string InvalidContainerName = "InvalidContainerName";
    public const string InvalidImageName = "InvalidImageName";
    public const string InvalidImageTag = "InvalidImageTag";
    public const string OnloadVersionMismatch = "OnloadVersionMismatch";

    // Latency runs, history, reports
    public const string ComputerNameNotResolved = "ComputerNameNotResolved";
    public const string NotALatencyRun = "NotALatencyRun";
    public const string LatencyRunImpossibleValue = "LatencyRunImpossibleValue";
    public const string HistoryWriteFailed = "HistoryWriteFailed";
    public const string ReportWriteFailed = "ReportWriteFailed";
    public const string ReportPathIsDirectory = "ReportPathIsDirectory";
    public const string ReferenceLabelNotFound = "ReferenceLabelNotFound";
}

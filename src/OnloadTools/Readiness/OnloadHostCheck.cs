namespace OnloadTools;

/// <summary>One readiness check of Test-OnloadHost.</summary>
public sealed class OnloadHostCheck
{
    public string Name { get; set; } = "";
    public string Category { get; set; } = "";
    /// <summary>Pass, Warn or Fail (<see cref="HostCheckStatus"/>).</summary>
    public string Status { get; set; } = "";
    public string Found { get; set; } = "";
    public string Expected { get; set; } = "";
    /// <summary>What to run to fix it (empty on Pass).</summary>
    public string Remediation { get; set; } = "";
    /// <summary>Why a check is only a warning (it needs hardware this host lacks …).</summary>
    public string? Reason { get; set; }
    public string HostName { get; set; } = "";

    public override string ToString() => $"{Status} {Name}: {Found}";
}

/// <summary>The statuses of a readiness check, written once. Strings, not an enum, for the reason given at
/// <see cref="LatencyVerdict"/>: checks gathered from a fleet over remoting must still say Fail, not 2.</summary>
public static class HostCheckStatus
{
    public const string Pass = "Pass";
    public const string Warn = "Warn";
    public const string Fail = "Fail";
}

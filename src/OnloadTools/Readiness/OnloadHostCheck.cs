namespace OnloadTools;

/// <summary>One readiness check of Test-OnloadHost.</summary>
public sealed class OnloadHostCheck
{
    public string Name { get; set; } = "";
    public string Category { get; set; } = "";
    /// <summary>Pass, Warn or Fail.</summary>
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

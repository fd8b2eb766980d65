namespace OnloadTools.Processes;

/// <summary>A tool is not on PATH. Carries the RHEL package that provides it.</summary>
internal sealed class ToolNotFoundException : Exception
{
    public ToolNotFoundException(string tool)
        : base($"'{tool}' was not found on PATH. {ToolCatalog.InstallHint(tool)}")
    {
        Tool = tool;
    }

    public string Tool { get; }
}

/// <summary>A tool ran longer than its timeout and was killed.</summary>
internal sealed class ToolTimeoutException : Exception
{
    public ToolTimeoutException(string commandLine, TimeSpan timeout)
        : base($"'{commandLine}' did not finish within {timeout.TotalSeconds:0.#} s and was stopped.")
    {
        CommandLine = commandLine;
        Timeout = timeout;
    }

    public string CommandLine { get; }
    public TimeSpan Timeout { get; }
}

/// <summary>The tool ran but reported failure (non-zero exit code). Services derive the failures they tell apart.</summary>
internal class ToolFailedException : Exception
{
    public ToolFailedException(ToolResult result, string? context = null)
        : base((context is null ? "" : context + " ") + result.Describe())
    {
        Result = result;
    }

    public ToolResult Result { get; }
}

/// <summary>Which package provides each external tool on RHEL, for NotInstalled errors.</summary>
internal static class ToolCatalog
{
    private const string RtTests = "Install rt-tests: 'dnf install realtime-tests' on RHEL 9, 'dnf install rt-tests' on RHEL 8 ('apt-get install rt-tests' on Debian).";

    private static readonly Dictionary<string, string> Packages = new(StringComparer.Ordinal)
    {
        ["netperf"] = "Install it with 'dnf install netperf' (EPEL on RHEL 8/9).",
        ["netserver"] = "Install it with 'dnf install netperf' (EPEL on RHEL 8/9); netserver ships in the same package.",
        ["sockperf"] = "Install it with 'dnf install sockperf'.",
        ["tuned-adm"] = "Install it with 'dnf install tuned' and start it with 'systemctl enable --now tuned'.",
        ["tuned"] = "Install it with 'dnf install tuned'.",
        ["onload"] = "Install OpenOnload (build the RPMs with New-OnloadPackage, then 'dnf install' them).",
        ["onload_stackdump"] = "Install OpenOnload (build the RPMs with New-OnloadPackage, then 'dnf install' them).",
        ["sfboot"] = "Install the Solarflare Linux Utilities package (sfutils) from the adapter vendor's support site.",
        ["sfupdate"] = "Install the Solarflare Linux Utilities package (sfutils) from the adapter vendor's support site.",
        ["ethtool"] = "Install it with 'dnf install ethtool'.",
        ["grubby"] = "Install it with 'dnf install grubby'.",
        ["podman"] = "Install it with 'dnf install podman'.",
        ["docker"] = "Install Docker Engine (docker-ce) or use podman ('dnf install podman').",
        ["rpmbuild"] = "Install it with 'dnf install rpm-build'.",
        ["rpm"] = "Install it with 'dnf install rpm'.",
        ["ip"] = "Install it with 'dnf install iproute'.",
        ["oslat"] = RtTests,
        ["cyclictest"] = RtTests,
        ["hwlatdetect"] = RtTests,
    };

    public static string InstallHint(string tool) =>
        Packages.TryGetValue(Path.GetFileName(tool), out var hint) ? hint : $"Install the package that provides '{tool}'.";
}

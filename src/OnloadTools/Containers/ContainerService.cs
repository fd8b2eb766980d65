using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using OnloadTools.Host;
using OnloadTools.Processes;
using OnloadTools.Onload;

namespace OnloadTools.Containers;

/// <summary>
/// The container operations of the module, as podman/docker CLI calls (the same arguments work for both):
/// inspect, list, run, stop, remove, exec and build. Pure C#; the cmdlets drive it.
/// </summary>
internal sealed partial class ContainerService
{
    public static readonly TimeSpan QuickTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);
    /// <summary>Packages Get-OnloadImage reports by default (wildcards).</summary>
    public static readonly string[] DefaultPackagePatterns = { "onload*", "openonload*", "netperf", "sockperf", "sfutils*", "kernel-module-sfc*", "sfc-dkms" };

    private readonly IToolRunner _runner;
    private readonly HostFileSystem _fs;

    public ContainerService(IToolRunner runner, HostFileSystem fs, ContainerEngine engine)
    {
        _runner = runner;
        _fs = fs;
        Engine = engine;
    }

    public ContainerEngine Engine { get; }

    // ------------------------------------------------------------------ host

    /// <summary>The Onload device nodes a container of this host gets (each one the host has).</summary>
    public IReadOnlyList<string> HostOnloadDevices() => OnloadFacts.PresentDevices(_fs);

    /// <summary>The --device argument for a host device node: host path (mapped through the host root) to the same path inside.</summary>
    public string DeviceArgument(string node) => _fs.IsRealHost ? $"--device={node}" : $"--device={_fs.Map(node)}:{node}";

    /// <summary>
    /// Whether the engine answers: `ENGINE info` (its storage and runtime work), then the client's version. A failed info
    /// is returned, not thrown, for the caller to judge.
    /// </summary>
    public async Task<(ToolResult Info, string? Version)> StatusAsync(CancellationToken ct)
    {
        var info = await RunAsync(ct, QuickTimeout, "info").ConfigureAwait(false);
        if (!info.Succeeded) return (info, null);
        var v = await RunAsync(ct, TimeSpan.FromSeconds(30), "version", "--format", "{{.Client.Version}}").ConfigureAwait(false);
        string version = v.Succeeded ? v.StandardOutput.Trim() : "";
        return (info, version.Length > 0 ? version : null);
    }

    /// <summary>A command run inside a running container (`ENGINE exec NAME TOOL ARGS`).</summary>
    public ToolCommand ExecCommand(string container, ToolCommand inner) =>
        Engine.Command(new[] { "exec", container, inner.Tool }.Concat(inner.Arguments));

    // ------------------------------------------------------------------ images

    /// <exception cref="ContainerObjectNotFoundException">No such image.</exception>
    public async Task<ImageInspect> InspectImageAsync(string name, CancellationToken ct)
    {
        var (image, r) = await InspectImageOrMissingAsync(name, ct).ConfigureAwait(false);
        return image ?? throw new ContainerObjectNotFoundException("image", name, r);
    }

    /// <summary>The image, or null when the engine has none of that name (never built, or removed meanwhile).</summary>
    public async Task<ImageInspect?> FindImageAsync(string name, CancellationToken ct) =>
        (await InspectImageOrMissingAsync(name, ct).ConfigureAwait(false)).Image;

    private async Task<(ImageInspect? Image, ToolResult Result)> InspectImageOrMissingAsync(string name, CancellationToken ct)
    {
        var r = await RunAsync(ct, QuickTimeout, "image", "inspect", name).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            if (IsNotFound(r)) return (null, r);
            throw Failure(r);
        }
        return (InspectParser.ParseImages(r.StandardOutput).FirstOrDefault()
            ?? throw new ToolFailedException(r, $"The engine printed no image for '{name}'."), r);
    }

    /// <summary>Ids of the images that carry the Onload version label.</summary>
    public async Task<IReadOnlyList<string>> ListOnloadImageIdsAsync(CancellationToken ct)
    {
        var r = await RunAsync(ct, QuickTimeout, "images", "--quiet", "--no-trunc", "--filter", "label=" + OnloadFacts.VersionLabel).ConfigureAwait(false);
        if (!r.Succeeded) throw Failure(r);
        return Lines(r.StandardOutput).Select(InspectParser.ShortenId).Distinct().ToArray();
    }

    /// <summary>The package versions inside an image: `rpm -qa`, or `dpkg-query -W` when the image has no rpm, run in a throw-away container.</summary>
    public async Task<(IReadOnlyList<InstalledPackage> Packages, string? CommandLine)> QueryPackagesAsync(string image, CancellationToken ct)
    {
        var queries = new[]
        {
            new[] { "rpm", "-qa", "--queryformat", "%{NAME}\\t%{VERSION}-%{RELEASE}\\n" },
            new[] { "dpkg-query", "-W", "-f", "${Package}\\t${Version}\\n" },
        };
        foreach (var q in queries)
        {
            var args = new List<string> { "run", "--rm", "--network=none", "--entrypoint", q[0], image };
            args.AddRange(q.Skip(1));
            var r = await RunAsync(ct, RunTimeout, args.ToArray()).ConfigureAwait(false);
            if (r.Succeeded) return (PackageListParser.Parse(r.StandardOutput), r.CommandLine);
            if (IsUnavailable(r)) throw new ContainerEngineUnavailableException(r);
            if (!IsMissingExecutable(r)) throw Failure(r);
        }
        return (Array.Empty<InstalledPackage>(), null);
    }

    public ToolCommand BuildCommand(string tag, string dockerfile, string contextDirectory) =>
        Engine.Command("build", "--tag", tag, "--file", dockerfile, contextDirectory);

    /// <summary>Starts `ENGINE build` in the background; the caller reads its progress and disposes it (which stops a running build).</summary>
    /// <exception cref="ToolNotFoundException">The engine is not on PATH.</exception>
    public ImageBuild StartBuild(ToolCommand build, string tag) => new(_runner.Start(build), build, tag);

    // ------------------------------------------------------------------ containers

    /// <exception cref="ContainerObjectNotFoundException">No such container.</exception>
    public async Task<ContainerInspect> InspectContainerAsync(string name, CancellationToken ct)
    {
        var (container, r) = await InspectContainerOrMissingAsync(name, ct).ConfigureAwait(false);
        return container ?? throw new ContainerObjectNotFoundException("container", name, r);
    }

    /// <summary>The container, or null when the engine has none of that name (never created, or removed meanwhile).</summary>
    public async Task<ContainerInspect?> FindContainerAsync(string name, CancellationToken ct) =>
        (await InspectContainerOrMissingAsync(name, ct).ConfigureAwait(false)).Container;

    private async Task<(ContainerInspect? Container, ToolResult Result)> InspectContainerOrMissingAsync(string name, CancellationToken ct)
    {
        var r = await RunAsync(ct, QuickTimeout, "container", "inspect", name).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            if (IsNotFound(r)) return (null, r);
            throw Failure(r);
        }
        return (InspectParser.ParseContainers(r.StandardOutput).FirstOrDefault()
            ?? throw new ToolFailedException(r, $"The engine printed no container for '{name}'."), r);
    }

    /// <summary>Ids of the containers (running or not) whose image carries the Onload version label.</summary>
    public async Task<IReadOnlyList<string>> ListOnloadContainerIdsAsync(CancellationToken ct)
    {
        var r = await RunAsync(ct, QuickTimeout, "ps", "--all", "--quiet", "--no-trunc", "--filter", "label=" + OnloadFacts.VersionLabel).ConfigureAwait(false);
        if (!r.Succeeded) throw Failure(r);
        return Lines(r.StandardOutput).Distinct().ToArray();
    }

    /// <summary>Runs the `run -d` command and returns the new container's id.</summary>
    public async Task<string> RunContainerAsync(ToolCommand run, CancellationToken ct)
    {
        var r = await _runner.RunAsync(run, RunTimeout, ct).ConfigureAwait(false);
        if (!r.Succeeded) throw Failure(r);
        return Lines(r.StandardOutput).LastOrDefault() ?? throw new ToolFailedException(r, "The engine printed no container id.");
    }

    /// <summary>`stop -t N NAME`: -t is the one spelling both engines accept (docker 25+ deprecated --time, podman has no --timeout).</summary>
    public async Task StopAsync(string name, int timeoutSeconds, CancellationToken ct)
    {
        var r = await RunAsync(ct, TimeSpan.FromSeconds(timeoutSeconds) + QuickTimeout, "stop", "-t", timeoutSeconds.ToString(CultureInfo.InvariantCulture), name).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            if (IsNotFound(r)) throw new ContainerObjectNotFoundException("container", name, r);
            throw Failure(r);
        }
    }

    public async Task RemoveAsync(string name, CancellationToken ct)
    {
        var r = await RunAsync(ct, QuickTimeout, "rm", name).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            if (IsNotFound(r)) throw new ContainerObjectNotFoundException("container", name, r);
            throw Failure(r);
        }
    }

    /// <summary>The IPv4 address of a host interface (`ip -j -4 addr show dev NAME`), for netserver -L.</summary>
    public async Task<string?> InterfaceAddressAsync(string interfaceName, CancellationToken ct)
    {
        var r = await _runner.RunAsync(new ToolCommand("ip", "-j", "-4", "addr", "show", "dev", interfaceName), QuickTimeout, ct).ConfigureAwait(false);
        if (!r.Succeeded) throw new ToolFailedException(r);
        return InterfaceAddressParser.FirstIPv4(r.StandardOutput);
    }

    // ------------------------------------------------------------------ plumbing

    private Task<ToolResult> RunAsync(CancellationToken ct, TimeSpan timeout, params string[] args) =>
        _runner.RunAsync(Engine.Command(args), timeout, ct);

    /// <summary>The exception for a failed engine call: unavailable daemon or plain failure.</summary>
    public static Exception Failure(ToolResult r) =>
        IsUnavailable(r) ? new ContainerEngineUnavailableException(r) : new ToolFailedException(r);

    [GeneratedRegex(@"no such (container|image|object)|image not known|no container with name or id|failed to find image|image .* not found|container .* not found", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NotFoundRegex();

    [GeneratedRegex(@"cannot connect to the docker daemon|is the docker daemon running|unknown server OS|cannot connect to podman|unable to connect to podman", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UnavailableRegex();

    [GeneratedRegex(@"executable file not found|no such file or directory.*(rpm|dpkg-query)|(rpm|dpkg-query).*no such file or directory|not found in \$PATH", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MissingExecutableRegex();

    public static bool IsNotFound(ToolResult r) => NotFoundRegex().IsMatch(r.StandardError) || NotFoundRegex().IsMatch(r.StandardOutput);
    public static bool IsUnavailable(ToolResult r) => UnavailableRegex().IsMatch(r.StandardError);
    private static bool IsMissingExecutable(ToolResult r) => r.ExitCode is 127 or 126 || MissingExecutableRegex().IsMatch(r.StandardError);

    private static IEnumerable<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>A package installed in an image.</summary>
internal sealed record InstalledPackage(string Name, string Version)
{
    public override string ToString() => $"{Name} {Version}";
}

/// <summary>Reads "name\tversion" lines (rpm -qa --queryformat / dpkg-query -W -f). Never throws.</summary>
internal static class PackageListParser
{
    public static IReadOnlyList<InstalledPackage> Parse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return Array.Empty<InstalledPackage>();
        var result = new List<InstalledPackage>();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            int tab = line.IndexOf('\t');
            if (tab <= 0) continue;
            string name = line[..tab].Trim();
            string version = line[(tab + 1)..].Trim();
            if (name.Length == 0 || version.Length == 0 || name.Any(char.IsWhiteSpace)) continue;
            result.Add(new InstalledPackage(name, version));
        }
        return result;
    }

    /// <summary>The packages whose names match one of the wildcard patterns (case-insensitive, '*' and '?').</summary>
    public static IReadOnlyList<InstalledPackage> Select(IEnumerable<InstalledPackage> packages, IEnumerable<string> patterns)
    {
        var regexes = patterns.Select(p => new Regex("^" + Regex.Escape(p).Replace(@"\*", ".*").Replace(@"\?", ".") + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)).ToArray();
        return packages.Where(p => regexes.Any(r => r.IsMatch(p.Name))).OrderBy(p => p.Name, StringComparer.Ordinal).ToArray();
    }
}

/// <summary>Reads `ip -j addr` output. Never throws.</summary>
internal static class InterfaceAddressParser
{
    public static string? FirstIPv4(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) return null;
            foreach (var link in doc.RootElement.EnumerateArray())
            {
                if (link.ValueKind != JsonValueKind.Object || !link.TryGetProperty("addr_info", out var infos) || infos.ValueKind != JsonValueKind.Array) continue;
                foreach (var info in infos.EnumerateArray())
                {
                    if (info.ValueKind != JsonValueKind.Object) continue;
                    if (info.TryGetProperty("family", out var f) && f.ValueKind == JsonValueKind.String && f.GetString() == "inet"
                        && info.TryGetProperty("local", out var l) && l.ValueKind == JsonValueKind.String && l.GetString() is { Length: > 0 } addr)
                    {
                        return addr;
                    }
                }
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }
}

/// <summary>Reads build steps ("STEP 3/7:" from podman/buildah, "Step 3/7 :" from docker, "[3/7]" from BuildKit). Never throws.</summary>
internal static partial class BuildProgressParser
{
    [GeneratedRegex(@"(?:STEP|Step)\s+(\d+)/(\d+)|\[\s*(\d+)/(\d+)\]", RegexOptions.CultureInvariant)]
    private static partial Regex StepRegex();

    /// <summary>The last step reported in <paramref name="output"/>, or null.</summary>
    public static (int Step, int Total, string Line)? LastStep(string? output)
    {
        if (string.IsNullOrEmpty(output)) return null;
        (int, int, string)? last = null;
        foreach (string line in output.Split('\n'))
        {
            var m = StepRegex().Match(line);
            if (!m.Success) continue;
            string a = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[3].Value;
            string b = m.Groups[2].Success ? m.Groups[2].Value : m.Groups[4].Value;
            if (int.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out int step)
                && int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out int total) && total > 0 && step <= total)
            {
                last = (step, total, line.Trim());
            }
        }
        return last;
    }
}

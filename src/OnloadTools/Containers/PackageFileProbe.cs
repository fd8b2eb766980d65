using System.Text.RegularExpressions;
using OnloadTools.Processes;

namespace OnloadTools.Containers;

/// <summary>Finds the Onload version a set of package files installs: asks dpkg-deb/rpm about the file, else reads the file name.</summary>
internal static partial class PackageFileProbe
{
    [GeneratedRegex(@"^(?:open)?onload(?:[-_](?:user|userspace|base))?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OnloadPackageName();

    // onload-8.1.2.26-1.el8.x86_64.rpm, openonload_201811-u1_amd64.deb, onload-user_8.1.2.26-1_amd64.deb
    [GeneratedRegex(@"^(?:open)?onload(?:[-_](?:user|userspace|base))?[-_](?<v>\d+(?:\.\d+)*(?:-u\d+)?)(?=[-_.]|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex VersionFromFileName();

    public static bool IsOnloadPackageName(string name) => OnloadPackageName().IsMatch(name);

    public static string? VersionFromName(string path)
    {
        var m = VersionFromFileName().Match(Path.GetFileName(path));
        return m.Success ? m.Groups["v"].Value : null;
    }

    /// <summary>The upstream Onload version of the first Onload package among <paramref name="paths"/>, or null.</summary>
    public static async Task<string?> OnloadVersionAsync(IToolRunner runner, IEnumerable<string> paths, CancellationToken ct)
    {
        foreach (string path in paths)
        {
            var (name, version) = await QueryAsync(runner, path, ct).ConfigureAwait(false);
            if (name is not null && version is not null && IsOnloadPackageName(name)) return version;
            if (name is null && VersionFromName(path) is { } fromName) return fromName;
        }
        return null;
    }

    /// <summary>Package name and upstream version (no Debian revision / RPM release) from the package file's own header.</summary>
    public static async Task<(string? Name, string? Version)> QueryAsync(IToolRunner runner, string path, CancellationToken ct)
    {
        ToolCommand? cmd = OnloadImageSpec.KindOf(path) switch
        {
            PackageKind.Deb when runner.Which("dpkg-deb") is not null => new ToolCommand("dpkg-deb", "--showformat=${Package}\\t${Version}\\n", "--show", path),
            PackageKind.Rpm when runner.Which("rpm") is not null => new ToolCommand("rpm", "-qp", "--queryformat", "%{NAME}\\t%{VERSION}\\n", path),
            _ => null,
        };
        if (cmd is null) return (null, null);
        try
        {
            var r = await runner.RunAsync(cmd, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            if (!r.Succeeded) return (null, null);
            var p = PackageListParser.Parse(r.StandardOutput).FirstOrDefault();
            if (p is null) return (null, null);
            return (p.Name, UpstreamVersion(p.Version, OnloadImageSpec.KindOf(path)!.Value));
        }
        catch (ToolTimeoutException)
        {
            return (null, null);
        }
    }

    /// <summary>"1:8.1.2.26-1" → "8.1.2.26" for DEBs (epoch and revision dropped); RPM %{VERSION} is already upstream.</summary>
    public static string UpstreamVersion(string version, PackageKind kind)
    {
        string v = version;
        int colon = v.IndexOf(':');
        if (colon >= 0) v = v[(colon + 1)..];
        if (kind == PackageKind.Deb)
        {
            int dash = v.LastIndexOf('-');
            if (dash > 0) v = v[..dash];
        }
        return v;
    }
}

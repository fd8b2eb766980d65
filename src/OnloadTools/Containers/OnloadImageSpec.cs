using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using OnloadTools.Onload;
using OnloadTools.Processes;

namespace OnloadTools.Containers;

/// <summary>How a package file is installed: dnf, yum or microdnf (UBI minimal) for RPMs, apt for DEBs.</summary>
internal enum PackageKind { Rpm, Deb }

/// <summary>A package file to copy into the image, and the name it gets in the build context.</summary>
internal sealed class ImagePackage
{
    public ImagePackage(string sourcePath, string contextName, PackageKind kind)
    {
        SourcePath = sourcePath;
        ContextName = contextName;
        Kind = kind;
    }

    public string SourcePath { get; }
    /// <summary>File name in the build context and in the image (safe characters only).</summary>
    public string ContextName { get; }
    public PackageKind Kind { get; }
}

/// <summary>Everything New-OnloadImage puts in a Dockerfile. The Dockerfile is always generated from this, never written by hand.</summary>
internal sealed partial class OnloadImageSpec
{
    public const string PackageDirectory = "/tmp/onloadtools-packages";
    /// <summary>The image's command when none is given: netserver in the foreground under Onload's default profile
    /// (constants only, so Get-Help reads it as New-OnloadImage -Command's default).</summary>
    public static readonly string[] DefaultCommand = { OnloadFacts.Tool, Latency.OnloadProfileName.OptionPrefix + Latency.OnloadProfileName.Default, "netserver", "-D" };
    /// <summary>The OCI label that records the image the build started FROM (Get-OnloadImage's BaseImage).</summary>
    public const string BaseNameLabel = "org.opencontainers.image.base.name";

    public required string Tag { get; init; }
    public required string BaseImage { get; init; }
    public IReadOnlyList<ImagePackage> Packages { get; init; } = Array.Empty<ImagePackage>();
    public string? OnloadVersion { get; init; }
    public IReadOnlyList<string> Command { get; init; } = DefaultCommand;
    /// <summary>Device nodes the RUN label passes with --device: the build host's, else those every Onload release has.</summary>
    public IReadOnlyList<string> RunDevices { get; init; } = OnloadFacts.RequiredDevices;
    public DateTime Created { get; init; } = DateTime.UtcNow;
    public string GeneratorVersion { get; init; } = typeof(OnloadImageSpec).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    [GeneratedRegex(@"[^A-Za-z0-9._+~\-]", RegexOptions.CultureInvariant)]
    private static partial Regex UnsafeFileNameChars();

    /// <summary>netperf's package files: netperf-2.7.0-1.el9.x86_64.rpm, netperf_2.7.0-0.1_amd64.deb.</summary>
    [GeneratedRegex(@"^netperf[-_][0-9]", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex NetperfPackageFile();

    /// <summary>
    /// Null, or why containers of this image may not start: its command runs netserver (the default does) but no
    /// netperf package file is among the packages, so only a base image that already has netperf makes it work.
    /// </summary>
    public string? CommandWarning()
    {
        if (!Command.Any(w => Path.GetFileName(w) == "netserver")) return null;
        if (Packages.Any(p => NetperfPackageFile().IsMatch(Path.GetFileName(p.SourcePath)))) return null;
        return $"The image's command ({string.Join(' ', Command)}) runs netserver, but no netperf package file was given (-Package): " +
               $"unless the base image '{BaseImage}' already has netperf, containers of '{Tag}' will exit at once. " +
               "Add -Package with a netperf .rpm/.deb, or give -Command.";
    }

    /// <summary>The kind of a package file from its extension, or null when it is neither .rpm nor .deb.</summary>
    public static PackageKind? KindOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".rpm" => PackageKind.Rpm,
        ".deb" => PackageKind.Deb,
        _ => null,
    };

    /// <summary>Builds the package list with unique, safe build-context names (the Dockerfile never holds user text unescaped).</summary>
    /// <exception cref="ArgumentException">A file is not .rpm/.deb, or RPMs and DEBs are mixed.</exception>
    public static IReadOnlyList<ImagePackage> PlanPackages(IEnumerable<string> paths)
    {
        var result = new List<ImagePackage>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (string path in paths)
        {
            PackageKind kind = KindOf(path) ?? throw new ArgumentException($"'{path}' is not an RPM or DEB package file (.rpm/.deb).");
            string name = UnsafeFileNameChars().Replace(Path.GetFileName(path), "_");
            if (name.StartsWith('.') || name.StartsWith('-')) name = "p" + name;
            string unique = name;
            for (int i = 2; !used.Add(unique); i++) unique = $"{i}-{name}";
            result.Add(new ImagePackage(path, unique, kind));
        }
        if (result.Select(p => p.Kind).Distinct().Count() > 1)
            throw new ArgumentException("RPM and DEB packages cannot be installed into one image: the base image has one package manager.");
        return result;
    }

    /// <summary>The RUN label: the engine command `podman container runlabel RUN IMAGE` executes (IMAGE and NAME are substituted by podman).</summary>
    public string RunLabel
    {
        get
        {
            var words = new List<string> { "podman", "run", "-d", "--name", "NAME", "--net=host", "--init" };
            words.AddRange(RunDevices.Select(d => "--device=" + d));
            words.Add("IMAGE");
            return ShellQuoting.Join(words);
        }
    }

    /// <summary>The labels of the image, in the order they are written.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Labels
    {
        get
        {
            string created = Created.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            string onload = OnloadVersion is { Length: > 0 } v ? "OpenOnload " + v : "OpenOnload";
            var labels = new List<KeyValuePair<string, string>>
            {
                new("RUN", RunLabel),
            };
            if (OnloadVersion is { Length: > 0 } version) labels.Add(new(OnloadFacts.VersionLabel, version));
            labels.Add(new("org.opencontainers.image.title", Tag));
            labels.Add(new("org.opencontainers.image.description", $"{onload} and netperf for low-latency containers (run with the Onload devices and --net=host)"));
            labels.Add(new("org.opencontainers.image.created", created));
            labels.Add(new(BaseNameLabel, BaseImage));
            if (OnloadVersion is { Length: > 0 } v2) labels.Add(new("org.opencontainers.image.version", v2));
            labels.Add(new("io.onloadtools.generator", "OnloadTools " + GeneratorVersion + " New-OnloadImage"));
            return labels;
        }
    }

    /// <summary>The Dockerfile text.</summary>
    /// <exception cref="ArgumentException">A value holds a line break (a Dockerfile instruction is one line).</exception>
    public string ToDockerfile()
    {
        foreach (string s in Command.Append(BaseImage).Append(Tag).Append(OnloadVersion ?? ""))
        {
            if (s.Contains('\n') || s.Contains('\r')) throw new ArgumentException($"'{s}' contains a line break, which a Dockerfile cannot hold.");
        }
        if (Command.Count == 0) throw new ArgumentException("The image's command must not be empty.");

        var sb = new StringBuilder();
        sb.Append("# Generated by OnloadTools ").Append(GeneratorVersion).Append(" (New-OnloadImage) on ")
          .Append(Created.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("# Do not edit: run New-OnloadImage again to change it.\n");
        sb.Append("FROM ").Append(BaseImage).Append('\n');

        if (Packages.Count > 0)
        {
            var copy = Packages.Select(p => p.ContextName).Append(PackageDirectory + "/");
            sb.Append("COPY ").Append(JsonArray(copy)).Append('\n');
            var files = Packages.Select(p => PackageDirectory + "/" + p.ContextName).ToArray();
            string list = string.Join(" ", files);
            if (Packages[0].Kind == PackageKind.Rpm)
            {
                sb.Append("RUN if command -v dnf >/dev/null 2>&1; then dnf -y install ").Append(list).Append(" && dnf clean all; ")
                  .Append("elif command -v yum >/dev/null 2>&1; then yum -y install ").Append(list).Append(" && yum clean all; ")
                  .Append("else microdnf -y install ").Append(list).Append(" && microdnf clean all; fi \\\n")
                  .Append(" && rm -rf ").Append(PackageDirectory).Append(" /var/cache/dnf /var/cache/yum\n");
            }
            else
            {
                sb.Append("RUN DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ").Append(list).Append(" \\\n")
                  .Append(" && apt-get clean && rm -rf ").Append(PackageDirectory).Append(" /var/lib/apt/lists/*\n");
            }
        }

        var labels = Labels;
        for (int i = 0; i < labels.Count; i++)
        {
            sb.Append(i == 0 ? "LABEL " : "      ").Append(labels[i].Key).Append('=').Append(LabelValue(labels[i].Value))
              .Append(i < labels.Count - 1 ? " \\\n" : "\n");
        }
        sb.Append("CMD ").Append(JsonArray(Command)).Append('\n');
        return sb.ToString();
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string JsonArray(IEnumerable<string> items) =>
        "[" + string.Join(", ", items.Select(i => JsonSerializer.Serialize(i, JsonOptions))) + "]";

    /// <summary>A double-quoted LABEL value: backslash, quote and $ (variable expansion) escaped.</summary>
    internal static string LabelValue(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in value)
        {
            if (c is '\\' or '"' or '$') sb.Append('\\');
            sb.Append(c);
        }
        return sb.Append('"').ToString();
    }
}

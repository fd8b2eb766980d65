using System.Globalization;
using System.Text.Json;

namespace OnloadTools.Containers;

/// <summary>What `podman/docker image inspect` says about an image (the fields this module uses).</summary>
internal sealed class ImageInspect
{
    public string Id { get; init; } = "";
    public string[] Tags { get; init; } = Array.Empty<string>();
    public DateTime? Created { get; init; }
    public long? Size { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public string[] Cmd { get; init; } = Array.Empty<string>();
    public string[] Entrypoint { get; init; } = Array.Empty<string>();

    /// <summary>
    /// A label looked up the way `podman container runlabel` does: by name, ignoring case (third-party images carry
    /// `run`, `install`). An exact match wins when an image has both spellings; else the first by ordinal name.
    /// </summary>
    public string? Label(string name)
    {
        if (Labels.TryGetValue(name, out string? exact)) return exact;
        return Labels.Where(kv => string.Equals(kv.Key, name, StringComparison.OrdinalIgnoreCase))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value).FirstOrDefault();
    }
}

/// <summary>What `podman/docker container inspect` says about a container (the fields this module uses).</summary>
internal sealed class ContainerInspect
{
    public string Id { get; init; } = "";
    public string Name { get; init; } = "";
    public string Image { get; init; } = "";
    public string? ImageId { get; init; }
    public string State { get; init; } = "";
    public bool Running { get; init; }
    public int? ExitCode { get; init; }
    public DateTime? Created { get; init; }
    public DateTime? StartedAt { get; init; }
    public string[] Devices { get; init; } = Array.Empty<string>();
    public string NetworkMode { get; init; } = "";
    public bool Privileged { get; init; }
    public bool ReadOnly { get; init; }
    public string[] Command { get; init; } = Array.Empty<string>();
    public string[] CreateCommand { get; init; } = Array.Empty<string>();
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Reads the JSON arrays `inspect` prints. Tolerant: podman's own documented sample has trailing commas, docker
/// names start with '/', fields may be null or missing. Never throws: text that is not an inspect array gives an
/// empty list.
/// </summary>
internal static class InspectParser
{
    private static readonly JsonDocumentOptions Options = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 256,
    };

    public static IReadOnlyList<ImageInspect> ParseImages(string? json) => ParseArray(json, ReadImage);

    public static IReadOnlyList<ContainerInspect> ParseContainers(string? json) => ParseArray(json, ReadContainer);

    private static IReadOnlyList<T> ParseArray<T>(string? json, Func<JsonElement, T?> read) where T : class
    {
        if (string.IsNullOrWhiteSpace(json)) return Array.Empty<T>();
        try
        {
            using var doc = JsonDocument.Parse(json, Options);
            var root = doc.RootElement;
            IEnumerable<JsonElement> items = root.ValueKind switch
            {
                JsonValueKind.Array => root.EnumerateArray(),
                JsonValueKind.Object => new[] { root },
                _ => Array.Empty<JsonElement>(),
            };
            return items.Where(e => e.ValueKind == JsonValueKind.Object).Select(read).Where(x => x is not null).Select(x => x!).ToArray();
        }
        catch (JsonException)
        {
            return Array.Empty<T>();
        }
    }

    private static ImageInspect? ReadImage(JsonElement e)
    {
        string id = ShortenId(Str(e, "Id") ?? "");
        if (id.Length == 0) return null;
        var config = Obj(e, "Config");
        var labels = Labels(config is { } c ? Obj(c, "Labels") : null);
        if (labels.Count == 0) labels = Labels(Obj(e, "Labels")); // podman also has them at the top
        return new ImageInspect
        {
            Id = id,
            Tags = Strings(e, "RepoTags"),
            Created = Date(Str(e, "Created")),
            Size = Long(e, "Size") ?? Long(e, "VirtualSize"),
            Labels = labels,
            Cmd = config is { } c1 ? Strings(c1, "Cmd") : Array.Empty<string>(),
            Entrypoint = config is { } c2 ? Strings(c2, "Entrypoint") : Array.Empty<string>(),
        };
    }

    private static ContainerInspect? ReadContainer(JsonElement e)
    {
        string id = Str(e, "Id") ?? "";
        if (id.Length == 0) return null;
        var state = Obj(e, "State");
        var config = Obj(e, "Config");
        var host = Obj(e, "HostConfig");
        string[] path = Str(e, "Path") is { Length: > 0 } p ? new[] { p } : Array.Empty<string>();
        var devices = new List<string>();
        if (host is { } h && Prop(h, "Devices") is { ValueKind: JsonValueKind.Array } devs)
        {
            foreach (var d in devs.EnumerateArray())
            {
                if (d.ValueKind != JsonValueKind.Object) continue;
                string? inContainer = Str(d, "PathInContainer") ?? Str(d, "PathOnHost");
                if (inContainer is { Length: > 0 }) devices.Add(inContainer);
            }
        }
        string status = state is { } s ? Str(s, "Status") ?? "" : "";
        return new ContainerInspect
        {
            Id = id,
            Name = (Str(e, "Name") ?? "").TrimStart('/'),
            Image = Str(e, "ImageName") is { Length: > 0 } imageName ? imageName
                  : config is { } ci && Str(ci, "Image") is { Length: > 0 } configImage ? configImage
                  : Str(e, "Image") ?? "",
            ImageId = Str(e, "Image") is { Length: > 0 } imageId ? ShortenId(imageId) : null,
            State = status,
            Running = state is { } s1 && Bool(s1, "Running"),
            ExitCode = state is { } s2 ? Int(s2, "ExitCode") : null,
            Created = Date(Str(e, "Created")),
            StartedAt = state is { } s3 ? Date(Str(s3, "StartedAt")) : null,
            Devices = devices.ToArray(),
            NetworkMode = host is { } h1 ? Str(h1, "NetworkMode") ?? "" : "",
            Privileged = host is { } h2 && Bool(h2, "Privileged"),
            ReadOnly = host is { } h3 && Bool(h3, "ReadonlyRootfs"),
            Command = path.Concat(Strings(e, "Args")).ToArray(),
            CreateCommand = config is { } c1 ? Strings(c1, "CreateCommand") : Array.Empty<string>(),
            Labels = Labels(config is { } c2 ? Obj(c2, "Labels") : null),
        };
    }

    /// <summary>"sha256:abc…" → "abc…".</summary>
    public static string ShortenId(string id) => id.StartsWith("sha256:", StringComparison.Ordinal) ? id[7..] : id;

    private static JsonElement? Prop(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : null;

    private static JsonElement? Obj(JsonElement e, string name) =>
        Prop(e, name) is { ValueKind: JsonValueKind.Object } v ? v : null;

    private static string? Str(JsonElement e, string name) =>
        Prop(e, name) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    private static bool Bool(JsonElement e, string name) =>
        Prop(e, name) is { ValueKind: JsonValueKind.True };

    private static long? Long(JsonElement e, string name) =>
        Prop(e, name) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt64(out long l) ? l : null;

    private static int? Int(JsonElement e, string name) =>
        Prop(e, name) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt32(out int i) ? i : null;

    private static string[] Strings(JsonElement e, string name) => Prop(e, name) switch
    {
        { ValueKind: JsonValueKind.Array } a => a.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToArray(),
        { ValueKind: JsonValueKind.String } s when s.GetString() is { Length: > 0 } one => new[] { one },
        _ => Array.Empty<string>(),
    };

    private static Dictionary<string, string> Labels(JsonElement? labels)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (labels is not { ValueKind: JsonValueKind.Object } l) return result;
        foreach (var p in l.EnumerateObject())
        {
            result[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() ?? "" : p.Value.GetRawText();
        }
        return result;
    }

    /// <summary>RFC 3339 with nanoseconds and offsets, as both engines print; the zero time means "never".</summary>
    internal static DateTime? Date(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        string t = text.Trim();
        // .NET parses at most 7 fractional digits: trim nanoseconds.
        int dot = t.IndexOf('.');
        if (dot > 0)
        {
            int end = dot + 1;
            while (end < t.Length && char.IsAsciiDigit(t[end])) end++;
            if (end - dot - 1 > 7) t = t[..(dot + 8)] + t[end..];
        }
        if (!DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var dto)) return null;
        if (dto.Year <= 1) return null;
        return dto.UtcDateTime;
    }
}

using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using OnloadTools.Host;

namespace OnloadTools.Tuning;

/// <summary>One section of a tuned.conf: its keys in file order.</summary>
internal sealed class TunedSection
{
    public TunedSection(string name) { Name = name; }
    public string Name { get; }
    public List<KeyValuePair<string, string>> Entries { get; } = new();

    public string? Get(string key) => Entries.LastOrDefault(e => e.Key == key).Value;

    public void Set(string key, string value)
    {
        int i = Entries.FindIndex(e => e.Key == key);
        if (i >= 0) Entries[i] = new(key, value);
        else Entries.Add(new(key, value));
    }
}

/// <summary>A parsed tuned.conf.</summary>
internal sealed class TunedConfig
{
    public List<TunedSection> Sections { get; } = new();
    public TunedSection? this[string name] => Sections.FirstOrDefault(s => s.Name == name);

    /// <summary>Parses tuned.conf (INI as tuned's configobj reads it). Never throws.</summary>
    public static TunedConfig Parse(string? text)
    {
        var config = new TunedConfig();
        if (string.IsNullOrEmpty(text)) return config;
        TunedSection? current = null;
        foreach (string raw in TunedAdmParser.SplitLines(text))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#' || line[0] == ';') continue;
            if (line[0] == '[' && line.EndsWith(']'))
            {
                string name = line[1..^1].Trim();
                current = config[name];
                if (current is null) { current = new TunedSection(name); config.Sections.Add(current); }
                continue;
            }
            int eq = line.IndexOf('=');
            if (eq <= 0 || current is null) continue;
            string key = line[..eq].Trim();
            string value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && ((value[0] == '"' && value[^1] == '"') || (value[0] == '\'' && value[^1] == '\''))) value = value[1..^1];
            current.Set(key, value);
        }
        return config;
    }
}

/// <summary>An effective setting: the plugin, the key and which profile of the include chain set it.</summary>
internal sealed record EffectiveSetting(string Section, string Plugin, string Name, string Value, string DefinedIn);

/// <summary>A profile with its include= chain resolved into the settings tuned would apply.</summary>
internal sealed class EffectiveProfile
{
    public required string Name { get; init; }
    public required IReadOnlyList<string> Chain { get; init; }
    public required IReadOnlyList<EffectiveSetting> Settings { get; init; }
    public required IReadOnlyDictionary<string, string> Variables { get; init; }

    /// <summary>Messages of tuned assertions (${f:assertion…}) that fail on this host: tuned would refuse the profile.</summary>
    public IReadOnlyList<string> FailedAssertions { get; init; } = Array.Empty<string>();

    public IEnumerable<EffectiveSetting> Plugin(string plugin) => Settings.Where(s => s.Plugin == plugin);

    /// <summary>The [bootloader] cmdline* values joined, as tuned builds the extra kernel command line.</summary>
    public string BootCommandLine =>
        string.Join(' ', Plugin("bootloader").Where(s => s.Name.StartsWith("cmdline", StringComparison.Ordinal))
            .Select(s => s.Value.TrimStart('+').Trim()).Where(v => v.Length > 0));
}

/// <summary>
/// The tuned profiles installed on the host: /usr/lib/tuned/NAME/tuned.conf, overridden by /etc/tuned/NAME
/// (and the profiles/ subfolders newer tuned uses). Resolves include= chains like tuned's loader does.
/// </summary>
internal sealed partial class TunedProfileCatalog
{
    public static readonly string[] ProfileDirectories = { "/usr/lib/tuned", "/usr/lib/tuned/profiles", "/etc/tuned", "/etc/tuned/profiles" };

    private static readonly HashSet<string> ControlKeys = new(StringComparer.Ordinal)
    {
        "type", "replace", "devices", "devices_udev_regex", "uname_regex", "cpuinfo_regex", "priority", "enabled", "drop",
    };

    private readonly HostFileSystem _fs;

    public TunedProfileCatalog(HostFileSystem fs) { _fs = fs; }

    /// <summary>Every profile name with the folder that wins (later directories override earlier ones).</summary>
    public IReadOnlyDictionary<string, string> Locate()
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string dir in ProfileDirectories)
        {
            foreach (string name in _fs.List(dir))
            {
                string path = dir + "/" + name;
                if (_fs.FileExists(path + "/tuned.conf")) found[name] = path;
            }
        }
        return found;
    }

    public bool AnyInstalled => ProfileDirectories.Any(_fs.DirectoryExists) && Locate().Count > 0;

    public string? PathOf(string name) => Locate().TryGetValue(name, out var p) ? p : null;

    public TunedConfig? Load(string name) =>
        PathOf(name) is { } dir ? TunedConfig.Parse(_fs.ReadText(dir + "/tuned.conf")) : null;

    public static string[] Includes(TunedConfig config) =>
        (config["main"]?.Get("include") ?? "").Split(new[] { ',', ';' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(n => !n.Contains("${", StringComparison.Ordinal)).ToArray();

    /// <summary>Resolves a profile (or "a b" several, as tuned-adm accepts) into its effective settings. Null when it does not exist.</summary>
    public EffectiveProfile? Resolve(string name)
    {
        var chain = new List<string>();
        // section name → (section, defined-in per key)
        var merged = new List<(TunedSection Section, Dictionary<string, string> Origin)>();
        bool any = false;
        foreach (string part in name.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Merge(part, merged, chain, new HashSet<string>(StringComparer.Ordinal))) continue;
            any = true;
        }
        if (!any) return null;

        // Like tuned: each variable is expanded when it is defined (earlier variables and ${f:…} functions), in order.
        var functions = new TunedFunctions(_fs);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        if (merged.FirstOrDefault(m => m.Section.Name == "variables") is { Section: not null } vars)
        {
            foreach (var (k, v) in vars.Section.Entries)
            {
                if (k == "include") LoadVariableFile(Expand(v, variables, null, functions), variables, functions);
                else if (VariableName().IsMatch(k)) variables[k] = Expand(v, variables, null, functions);
            }
        }

        var settings = new List<EffectiveSetting>();
        foreach (var (section, origin) in merged)
        {
            if (section.Name is "main" or "variables") continue;
            if (section.Get("enabled") is { } en && en.Equals("false", StringComparison.OrdinalIgnoreCase)) continue;
            if (!ConditionsHold(section, variables)) continue;
            string plugin = section.Get("type") ?? section.Name;
            foreach (var (k, v) in section.Entries)
            {
                if (ControlKeys.Contains(k)) continue;
                string dir = PathOf(origin.GetValueOrDefault(k, name)) ?? "";
                settings.Add(new EffectiveSetting(section.Name, plugin, k, Expand(v, variables, dir, functions), origin.GetValueOrDefault(k, name)));
            }
        }
        return new EffectiveProfile
        {
            Name = name, Chain = chain, Settings = settings, Variables = variables, FailedAssertions = functions.FailedAssertions.Distinct().ToArray(),
        };
    }

    private bool Merge(string name, List<(TunedSection Section, Dictionary<string, string> Origin)> merged, List<string> chain, HashSet<string> visiting)
    {
        if (!visiting.Add(name)) return true; // include cycle: tuned would refuse; stop here
        var config = Load(name);
        if (config is null) return false;
        foreach (string inc in Includes(config)) Merge(inc, merged, chain, visiting);
        chain.Add(name);
        foreach (var section in config.Sections)
        {
            int i = merged.FindIndex(m => m.Section.Name == section.Name);
            bool replace = section.Get("replace") is { } r && (r == "1" || r.Equals("true", StringComparison.OrdinalIgnoreCase));
            if (i < 0 || replace)
            {
                var copy = new TunedSection(section.Name);
                var origin = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (k, v) in section.Entries) { copy.Set(k, v); origin[k] = name; }
                if (i < 0) merged.Add((copy, origin)); else merged[i] = (copy, origin);
            }
            else
            {
                foreach (var (k, v) in section.Entries) { merged[i].Section.Set(k, v); merged[i].Origin[k] = name; }
            }
        }
        return true;
    }

    private void LoadVariableFile(string path, Dictionary<string, string> variables, TunedFunctions functions)
    {
        var text = _fs.ReadText(path);
        if (text is null) return;
        foreach (string raw in TunedAdmParser.SplitLines(text))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            int hash = line.IndexOf(" #", StringComparison.Ordinal);               // inline comments, as tuned's parser strips them
            if (hash > 0) line = line[..hash].TrimEnd();
            int eq = line.IndexOf('=');
            if (eq <= 0) continue;
            string k = line[..eq].Trim();
            if (VariableName().IsMatch(k)) variables[k] = Expand(line[(eq + 1)..].Trim(), variables, null, functions);
        }
    }

    [GeneratedRegex(@"^\w+$", RegexOptions.CultureInvariant)]
    private static partial Regex VariableName();

    [GeneratedRegex(@"(?<!\\)\$\{(?<name>\w+)\}|\$\{i:PROFILE_DIR\}", RegexOptions.CultureInvariant)]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"\\(\$\{\w+\})", RegexOptions.CultureInvariant)]
    private static partial Regex EscapedVariable();

    /// <summary>
    /// Expands a value as tuned does: ${i:PROFILE_DIR}, then every defined ${var} not escaped as \${var} (values
    /// are already expanded when defined), unescapes \${var}, then evaluates the ${f:…} functions. Unknown
    /// variables stay as written. Without <paramref name="functions"/>, function calls are left as written.
    /// </summary>
    public static string Expand(string value, IReadOnlyDictionary<string, string> variables, string? profileDir, TunedFunctions? functions = null)
    {
        string expanded = VariableReference().Replace(value, m =>
            m.Value == "${i:PROFILE_DIR}" ? profileDir ?? m.Value
            : variables.TryGetValue(m.Groups["name"].Value, out var v) ? v : m.Value);
        expanded = EscapedVariable().Replace(expanded, "$1");
        return functions is null ? expanded : functions.Expand(expanded);
    }

    private bool ConditionsHold(TunedSection section, IReadOnlyDictionary<string, string> variables)
    {
        try
        {
            if (section.Get("uname_regex") is { } uname)
            {
                string machine = RuntimeInformation.OSArchitecture switch
                {
                    Architecture.X64 => "x86_64", Architecture.Arm64 => "aarch64", Architecture.Ppc64le => "ppc64le",
                    Architecture.S390x => "s390x", _ => RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
                };
                if (!Regex.IsMatch(machine, Expand(uname, variables, null), RegexOptions.None, TimeSpan.FromSeconds(1))) return false;
            }
            if (section.Get("cpuinfo_regex") is { } cpuinfo)
            {
                string text = _fs.ReadText("/proc/cpuinfo") ?? "";
                if (!Regex.IsMatch(text, Expand(cpuinfo, variables, null), RegexOptions.Multiline, TimeSpan.FromSeconds(1))) return false;
            }
        }
        catch (ArgumentException) { return false; }
        catch (RegexMatchTimeoutException) { return false; }
        return true;
    }
}

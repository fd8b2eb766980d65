using OnloadTools.Host;
using OnloadTools.Processes;

namespace OnloadTools.Tuning;

/// <summary>One boot entry of 'grubby --info'.</summary>
internal sealed class GrubbyEntry
{
    public int Index { get; set; } = -1;
    public string? Kernel { get; set; }
    public string? Args { get; set; }
    public string? Root { get; set; }
    public string? Initrd { get; set; }
    public string? Title { get; set; }
    public string? Id { get; set; }
    /// <summary>The "non linux entry" lines of legacy grubby.</summary>
    public bool IsLinux { get; set; } = true;

    /// <summary>args plus root=… (legacy grubby prints root on its own line; the kernel gets it as an argument).</summary>
    public string FullArgs => Root is { Length: > 0 } r && !(Args ?? "").Contains("root=", StringComparison.Ordinal)
        ? $"{Args} root={r}".Trim() : (Args ?? "");
}

/// <summary>
/// Parses grubby's output: --info (RHEL 7 legacy: only args quoted, no id, "non linux entry" stanzas; RHEL 8/9
/// BLS: every value quoted, id line) and --default-kernel (whose stdout may carry grubby-bls fork warnings). Never throws.
/// </summary>
internal static class GrubbyParser
{
    public static List<GrubbyEntry> ParseInfo(string? text)
    {
        var entries = new List<GrubbyEntry>();
        if (string.IsNullOrEmpty(text)) return entries;
        GrubbyEntry? current = null;
        foreach (string raw in TunedAdmParser.SplitLines(text))
        {
            string line = raw.Trim();
            if (line.Length == 0) continue;
            if (line == "non linux entry")
            {
                if (current is not null) current.IsLinux = false;
                continue;
            }
            int eq = line.IndexOf('=');
            if (eq <= 0) continue;
            string key = line[..eq];
            string value = Unquote(line[(eq + 1)..]);
            if (key == "index")
            {
                current = new GrubbyEntry { Index = int.TryParse(value, out int i) ? i : -1 };
                entries.Add(current);
                continue;
            }
            if (current is null)
            {
                // --info of one entry on some versions starts without index=
                current = new GrubbyEntry();
                entries.Add(current);
            }
            switch (key)
            {
                case "kernel": current.Kernel = value; break;
                case "args": current.Args = value; break;
                case "root": current.Root = value; break;
                case "initrd": current.Initrd = value; break;
                case "title": current.Title = value; break;
                case "id": current.Id = value; break;
            }
        }
        return entries;
    }

    /// <summary>The kernel path of 'grubby --default-kernel': the last line that is a path.</summary>
    public static string? ParseDefaultKernel(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        return TunedAdmParser.SplitLines(text).Select(l => l.Trim())
            .LastOrDefault(l => l.StartsWith('/') && !l.Contains(':') && !l.Contains(' '));
    }

    private static string Unquote(string v)
    {
        v = v.Trim();
        return v.Length >= 2 && v[0] == '"' && v[^1] == '"' ? v[1..^1] : v;
    }
}

/// <summary>grubby could not write the boot configuration: the user is not root.</summary>
internal sealed class GrubbyPermissionDeniedException : ToolFailedException
{
    public GrubbyPermissionDeniedException(ToolResult result) : base(result) { }
}

/// <summary>Reads and changes the kernel arguments of the boot entries through grubby (never reboots).</summary>
internal sealed class GrubbyService
{
    public const string Grubby = "grubby";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly IToolRunner _runner;

    public GrubbyService(IToolRunner runner) { _runner = runner; }

    public bool IsInstalled => _runner.Which(Grubby) is not null;

    public static ToolCommand UpdateCommand(IReadOnlyCollection<string> add, IReadOnlyCollection<string> remove)
    {
        var args = new List<string> { "--update-kernel=ALL" };
        if (add.Count > 0) args.Add("--args=" + string.Join(' ', add));
        if (remove.Count > 0) args.Add("--remove-args=" + string.Join(' ', remove));
        return new ToolCommand(Grubby, args);
    }

    public async Task<string?> DefaultKernelAsync(CancellationToken ct)
    {
        var r = await _runner.RunAsync(new ToolCommand(Grubby, "--default-kernel"), Timeout, ct).ConfigureAwait(false);
        if (!r.Succeeded) throw new ToolFailedException(r);
        return GrubbyParser.ParseDefaultKernel(r.StandardOutput);
    }

    /// <summary>The default kernel's entry (grubby --info=DEFAULT), or null when grubby cannot tell.</summary>
    public async Task<GrubbyEntry?> DefaultEntryAsync(CancellationToken ct)
    {
        var r = await _runner.RunAsync(new ToolCommand(Grubby, "--info=DEFAULT"), Timeout, ct).ConfigureAwait(false);
        if (!r.Succeeded) throw new ToolFailedException(r);
        return GrubbyParser.ParseInfo(r.StandardOutput).FirstOrDefault(e => e.IsLinux);
    }

    public async Task<List<GrubbyEntry>> AllEntriesAsync(CancellationToken ct)
    {
        var r = await _runner.RunAsync(new ToolCommand(Grubby, "--info=ALL"), Timeout, ct).ConfigureAwait(false);
        if (!r.Succeeded) throw new ToolFailedException(r);
        return GrubbyParser.ParseInfo(r.StandardOutput);
    }

    /// <exception cref="GrubbyPermissionDeniedException">grubby may not write the boot entries (not root).</exception>
    /// <exception cref="ToolFailedException">grubby failed otherwise.</exception>
    public async Task<ToolResult> UpdateAsync(IReadOnlyCollection<string> add, IReadOnlyCollection<string> remove, CancellationToken ct)
    {
        var r = await _runner.RunAsync(UpdateCommand(add, remove), Timeout, ct).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            // grubby says "Permission denied" (strerror) or "permission denied" depending on the release.
            if (r.CombinedOutput.Contains("permission denied", StringComparison.OrdinalIgnoreCase)) throw new GrubbyPermissionDeniedException(r);
            throw new ToolFailedException(r);
        }
        return r;
    }
}

/// <summary>
/// GRUB's environment block (grubenv, what 'grub2-editenv list' prints): the variables a BLS entry's options refer
/// to, such as tuned's tuned_params (the bootloader plugin's arguments) and RHEL 8's kernelopts. Read through the
/// host root, so tests use fake trees. Never throws.
/// </summary>
internal static class GrubEnvironment
{
    /// <summary>Where RHEL keeps the block: /boot/grub2/grubenv (on RHEL 8 UEFI hosts a link into the ESP).</summary>
    public const string Path = "/boot/grub2/grubenv";

    /// <summary>The ESP's copies of RHEL and its rebuilds, read when /boot/grub2/grubenv is absent.</summary>
    private static readonly string[] EspVendors = { "redhat", "centos", "rocky", "almalinux", "ol" };

    /// <summary>The variables and the file they came from, or null when no grubenv can be read (absent, or not root).</summary>
    public static (IReadOnlyDictionary<string, string> Variables, string File)? Read(HostFileSystem fs)
    {
        foreach (string path in EspVendors.Select(v => $"/boot/efi/EFI/{v}/grubenv").Prepend(Path))
        {
            string? text;
            try
            {
                text = File.ReadAllText(fs.Map(path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            return (Parse(text), path);
        }
        return null;
    }

    /// <summary>
    /// name=value lines after the "# GRUB Environment Block" header, up to the '#' padding; a backslash takes the
    /// next character as it is (grub-editenv escapes '\' and a newline that way).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Parse(string? text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(text)) return result;
        int i = 0;
        while (i < text.Length)
        {
            if (text[i] == '#' || text[i] == '\n' || text[i] == '\r')
            {
                // a comment (the header) or the padding: skip the line
                while (i < text.Length && text[i] != '\n') i++;
                i++;
                continue;
            }
            int start = i;
            while (i < text.Length && text[i] != '=' && text[i] != '\n') i++;
            if (i >= text.Length || text[i] != '=')
            {
                i++;
                continue;
            }
            string name = text[start..i].Trim();
            i++;
            var value = new System.Text.StringBuilder();
            while (i < text.Length && text[i] != '\n')
            {
                if (text[i] == '\\' && i + 1 < text.Length) i++;
                value.Append(text[i]);
                i++;
            }
            if (name.Length > 0) result[name] = value.ToString().TrimEnd('\r');
        }
        return result;
    }
}

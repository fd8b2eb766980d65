using OnloadTools.Host;
using OnloadTools.Processes;

namespace OnloadTools.Tuning;

/// <summary>The tuned daemon does not answer tuned-adm (it is not running, or D-Bus is down).</summary>
internal sealed class TunedDaemonException : Exception
{
    public TunedDaemonException(ToolResult result)
        : base($"The tuned daemon does not answer: {result.Describe()} Start it with 'systemctl start tuned' (or 'tuned -d').")
    {
        Result = result;
    }

    public ToolResult Result { get; }
}

/// <summary>tuned-adm refused a profile that is not installed.</summary>
internal sealed class TunedProfileNotFoundException : Exception
{
    public TunedProfileNotFoundException(string name, string? detail = null)
        : base($"The tuned profile '{name}' is not installed." + (detail is null ? "" : " " + detail))
    {
        Name = name;
    }

    public string Name { get; }
}

/// <summary>Talks to tuned through tuned-adm and reads what it changed from /proc/sys and /sys.</summary>
internal sealed class TunedService
{
    public const string TunedAdm = "tuned-adm";
    public const string LogPath = "/var/log/tuned/tuned.log";
    public const string BootCmdlinePath = "/etc/tuned/bootcmdline";
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SwitchTimeout = TimeSpan.FromSeconds(120);

    private readonly IToolRunner _runner;
    private readonly HostFileSystem _fs;

    public TunedService(IToolRunner runner, HostFileSystem fs)
    {
        _runner = runner;
        _fs = fs;
        Catalog = new TunedProfileCatalog(fs);
    }

    public TunedProfileCatalog Catalog { get; }
    public bool IsInstalled => _runner.Which(TunedAdm) is not null;

    public static ToolCommand SwitchCommand(string name) => new(TunedAdm, "profile", name);
    public static ToolCommand OffCommand() => new(TunedAdm, "off");
    public static ToolCommand VerifyCommand() => new(TunedAdm, "verify");

    /// <summary>The active profile from the daemon; falls back to /etc/tuned/active_profile when tuned-adm is absent. Null: none.</summary>
    public async Task<string?> ActiveProfileAsync(CancellationToken ct)
    {
        if (!IsInstalled) return HostInfo.ActiveTunedProfile(_fs);
        var r = await _runner.RunAsync(new ToolCommand(TunedAdm, "active"), QueryTimeout, ct).ConfigureAwait(false);
        if (TunedAdmParser.SaysDaemonDown(r.CombinedOutput)) throw new TunedDaemonException(r);
        return TunedAdmParser.ParseActive(r.StandardOutput);
    }

    /// <summary>'tuned-adm recommend', or null when tuned-adm is absent or fails.</summary>
    public async Task<string?> RecommendedProfileAsync(CancellationToken ct)
    {
        if (!IsInstalled) return null;
        var r = await _runner.RunAsync(new ToolCommand(TunedAdm, "recommend"), QueryTimeout, ct).ConfigureAwait(false);
        string first = r.StandardOutput.Trim().Split('\n')[0].Trim();
        return r.Succeeded && first.Length > 0 && !first.Contains(' ') ? first : null;
    }

    /// <summary>Every installed profile from the profile folders, with summaries from 'tuned-adm list' when files lack one.</summary>
    public async Task<List<TunedProfile>> ListAsync(CancellationToken ct)
    {
        string? active = null;
        string? recommended = null;
        TunedListOutput? list = null;
        if (IsInstalled)
        {
            var r = await _runner.RunAsync(new ToolCommand(TunedAdm, "list"), QueryTimeout, ct).ConfigureAwait(false);
            list = TunedAdmParser.ParseList(r.CombinedOutput);
            active = list.ActiveProfile;
            if (list.DaemonNotRunning || TunedAdmParser.SaysDaemonDown(r.CombinedOutput)) active = null;
            recommended = await RecommendedProfileAsync(ct).ConfigureAwait(false);
        }
        else
        {
            active = HostInfo.ActiveTunedProfile(_fs);
        }

        var profiles = new Dictionary<string, TunedProfile>(StringComparer.Ordinal);
        foreach (var (name, dir) in Catalog.Locate())
        {
            var config = Catalog.Load(name)!;
            profiles[name] = new TunedProfile
            {
                Name = name,
                Summary = config["main"]?.Get("summary"),
                Path = dir,
                Location = dir.StartsWith("/etc/", StringComparison.Ordinal) ? "Custom" : "System",
                Include = TunedProfileCatalog.Includes(config),
            };
        }
        if (list is not null)
        {
            foreach (var (name, summary) in list.Profiles)
            {
                if (profiles.TryGetValue(name, out var p)) p.Summary ??= summary;
                else profiles[name] = new TunedProfile { Name = name, Summary = summary, Location = "Unknown" };
            }
        }
        var activeNames = (active ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        foreach (var p in profiles.Values)
        {
            p.IsActive = activeNames.Contains(p.Name);
            p.IsRecommended = p.Name == recommended;
        }
        return profiles.Values.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Current live values of the settings either profile controls.</summary>
    public List<(ProbedSetting Probe, string? Value)> ReadProbes(IEnumerable<EffectiveProfile?> profiles)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<(ProbedSetting, string?)>();
        // The last profile (the new one) decides the Expected value, so walk it first.
        foreach (var profile in profiles.Reverse())
        {
            if (profile is null) continue;
            foreach (var probe in TunedSettingProbe.Probes(profile, _fs))
            {
                if (!seen.Add(probe.Plugin + "\0" + probe.Name)) continue;
                result.Add((probe, TunedSettingProbe.Read(probe, _fs)));
            }
        }
        return result;
    }

    /// <summary>Switches profile (null = off). Throws for a missing profile, a daemon that is down, or a failure.</summary>
    public async Task<ToolResult> SwitchAsync(string? name, CancellationToken ct)
    {
        var command = name is null ? OffCommand() : SwitchCommand(name);
        var r = await _runner.RunAsync(command, SwitchTimeout, ct).ConfigureAwait(false);
        if (TunedAdmParser.SaysDaemonDown(r.CombinedOutput)) throw new TunedDaemonException(r);
        if (!r.Succeeded)
        {
            if (name is not null && r.CombinedOutput.Contains("doesn't exist", StringComparison.Ordinal))
                throw new TunedProfileNotFoundException(name, r.CombinedOutput.Trim());
            throw new ToolFailedException(r);
        }
        return r;
    }

    /// <summary>Reads what a switch to <paramref name="name"/> (null: off) would start from and touch, without switching.</summary>
    /// <exception cref="TunedProfileNotFoundException">The profile is not installed (and this host's profile folders hold others).</exception>
    /// <exception cref="TunedDaemonException">The daemon does not answer.</exception>
    public async Task<TunedProfileSwitch> PlanSwitchAsync(string? name, CancellationToken ct)
    {
        string? previous = await ActiveProfileAsync(ct).ConfigureAwait(false);
        EffectiveProfile? next = null;
        if (name is not null)
        {
            next = Catalog.Resolve(name);
            if (next is null && Catalog.AnyInstalled) throw new TunedProfileNotFoundException(name, "Get-TunedProfile lists the installed ones.");
        }
        EffectiveProfile? prev = previous is null ? null : Catalog.Resolve(previous);
        return new TunedProfileSwitch
        {
            PreviousProfile = previous,
            Profile = name,
            Next = next,
            Before = ReadProbes(new[] { prev, next }),
            Wanted = next is null ? Array.Empty<ProbedSetting>() : TunedSettingProbe.Probes(next, _fs).ToArray(),
            Command = name is null ? OffCommand() : SwitchCommand(name),
        };
    }

    /// <summary>
    /// Runs a planned switch and reports it: each value before and after (Expected where the new profile sets it), the
    /// profile now active, the kernel arguments it wants that the running kernel lacks, and what 'tuned-adm verify' says.
    /// </summary>
    public async Task<TunedProfileChange> SwitchAsync(TunedProfileSwitch plan, CancellationToken ct)
    {
        await SwitchAsync(plan.Profile, ct).ConfigureAwait(false);
        var settings = plan.Before.Select(b =>
        {
            string? after = TunedSettingProbe.Read(b.Probe, _fs);
            return new TunedSettingChange
            {
                Plugin = b.Probe.Plugin, Name = b.Probe.Name, Path = b.Probe.Path,
                Expected = plan.Sets(b.Probe) ? b.Probe.Expected : null,
                Before = b.Value, After = after, Changed = b.Value != after,
            };
        }).ToArray();
        var change = new TunedProfileChange
        {
            PreviousProfile = plan.PreviousProfile,
            NewProfile = plan.Profile is null ? null : await ActiveProfileAsync(ct).ConfigureAwait(false) ?? plan.Profile,
            CommandLine = plan.Command.CommandLine,
            Settings = settings,
            ChangedCount = settings.Count(s => s.Changed),
            Time = DateTime.UtcNow,
        };
        if (plan.Profile is null) return change;

        string? boot = AppliedBootCommandLine();
        if (string.IsNullOrWhiteSpace(boot)) boot = plan.Next?.BootCommandLine;
        change.BootCommandLine = string.IsNullOrWhiteSpace(boot) ? null : boot;
        change.MissingBootArguments = MissingBootArguments(boot).ToArray();
        change.RebootRequired = change.MissingBootArguments.Length > 0;
        var verify = await VerifyAsync(ct).ConfigureAwait(false);
        change.Verified = verify.Verified;
        change.VerifyFailures = verify.Differences.Length > 0 || verify.Verified
            ? verify.Differences.Select(d => d.Message).ToArray()
            : new[] { verify.Reason }; // tuned logged no itemised failure: its verdict is all there is
        return change;
    }

    /// <summary>Runs 'tuned-adm verify' and reads the verification lines it logged.</summary>
    public async Task<TunedProfileVerification> VerifyAsync(CancellationToken ct)
    {
        var command = VerifyCommand();
        var r = await _runner.RunAsync(command, SwitchTimeout, ct).ConfigureAwait(false);
        var outcome = TunedAdmParser.ParseVerify(r.CombinedOutput);
        if (outcome == TunedVerifyOutcome.DaemonNotRunning) throw new TunedDaemonException(r);
        var (profile, items) = TunedAdmParser.ParseVerifyLog(ReadLogTail());
        // Only tuned-adm's own verdict verifies: empty or unknown output with exit code 0 is not a pass.
        bool verified = outcome == TunedVerifyOutcome.Succeeded;
        string said = r.CombinedOutput.Trim();
        string firstLine = TunedAdmParser.SplitLines(said).Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
        string reason = outcome switch
        {
            TunedVerifyOutcome.Succeeded or TunedVerifyOutcome.Failed or TunedVerifyOutcome.NoProfile => firstLine,
            _ when said.Length == 0 => $"tuned-adm verify printed nothing (exit code {r.ExitCode}): the profile is not known to be applied.",
            _ => $"tuned-adm verify gave no verdict (exit code {r.ExitCode}): {firstLine}",
        };
        return new TunedProfileVerification
        {
            Reason = reason,
            Profile = profile ?? await ActiveProfileAsync(ct).ConfigureAwait(false),
            Verified = verified,
            Differences = items.Where(i => i.Status == TunedVerifyStatus.Failed).ToArray(),
            PassedCount = items.Count(i => i.Status == TunedVerifyStatus.Passed),
            CommandLine = command.CommandLine,
            Message = r.CombinedOutput.Trim(),
        };
    }

    /// <summary>The end of tuned's log (the last verification is always near the end).</summary>
    private string? ReadLogTail()
    {
        try
        {
            string path = _fs.Map(LogPath);
            if (!File.Exists(path)) return null;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            long start = Math.Max(0, stream.Length - 256 * 1024);
            stream.Seek(start, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The kernel arguments tuned's bootloader plugin wrote for the active profile (/etc/tuned/bootcmdline).</summary>
    public string? AppliedBootCommandLine()
    {
        string? text = _fs.ReadText(BootCmdlinePath);
        if (text is null) return null;
        foreach (string line in TunedAdmParser.SplitLines(text))
        {
            const string key = "TUNED_BOOT_CMDLINE=";
            if (line.StartsWith(key, StringComparison.Ordinal)) return line[key.Length..].Trim().Trim('"');
        }
        return null;
    }

    /// <summary>Arguments of a profile's boot command line that the running kernel was not booted with.</summary>
    public IReadOnlyList<string> MissingBootArguments(string? bootCommandLine)
    {
        if (string.IsNullOrWhiteSpace(bootCommandLine)) return Array.Empty<string>();
        var running = KernelCommandLine.Parse(HostInfo.KernelCommandLine(_fs));
        return KernelCommandLine.Parse(bootCommandLine)
            .Where(a => !a.Name.StartsWith('-') && !a.Text.Contains("${", StringComparison.Ordinal))
            .Select(a => a.Text)
            .Where(t => !KernelCommandLine.Contains(running, t))
            .ToArray();
    }
}

using OnloadTools.Host;
using OnloadTools.Processes;

namespace OnloadTools.Tuning;

/// <summary>The running kernel's arguments (/proc/cmdline) cannot be read.</summary>
internal sealed class KernelCommandLineUnreadableException(string path) : FileNotFoundException($"{path} cannot be read.", path);

/// <summary>
/// The running kernel's arguments beside those the default kernel boots with next. Every occurrence of a name is
/// kept (hugepagesz=1G hugepages=50 hugepagesz=2M hugepages=0, two rd.lvm.lv=, several console=): the kernel and
/// dracut read them all.
/// </summary>
internal sealed class KernelBootArgumentComparison
{
    /// <summary>One entry per occurrence, in the order of the running command line, then those only the next boot has.</summary>
    public IReadOnlyList<KernelBootArgument> Arguments { get; init; } = Array.Empty<KernelBootArgument>();
    /// <summary>The default kernel grubby names; null when grubby is absent or failed.</summary>
    public string? NextBootKernel { get; init; }
    /// <summary>The default kernel's arguments; null when unknown.</summary>
    public string? NextBootArguments { get; init; }
    /// <summary>Why the next boot's arguments are unknown (grubby absent, grubby failed); null when known.</summary>
    public string? NextBootUnknownReason { get; init; }
    /// <summary>True when grubby is absent (not a failure: the module then shows only the running kernel).</summary>
    public bool GrubbyMissing { get; init; }
    /// <summary>What an admin should know of GRUB variables in the next boot's options ($tuned_params that grubenv
    /// does not let us read); null when there is nothing to say. A warning.</summary>
    public string? NextBootNote { get; init; }
    /// <summary>Where the GRUB variables of the next boot's options came from ("$tuned_params = … (from /boot/grub2/grubenv)"). Verbose.</summary>
    public IReadOnlyList<string> NextBootVariables { get; init; } = Array.Empty<string>();

    public IEnumerable<KernelBootArgument> Pending => Arguments.Where(a => a.Pending.Length > 0);
}

/// <summary>Compares kernel command lines as multisets of arguments, per name.</summary>
internal static class KernelBootArgumentDiff
{
    /// <summary>Added by the boot loader, not part of the entry's arguments.</summary>
    public static readonly IReadOnlySet<string> LoaderArguments = new HashSet<string>(StringComparer.Ordinal) { "BOOT_IMAGE", "initrd" };

    /// <summary>
    /// For each name, occurrences with equal values on both sides pair up (unchanged, whatever their order); what is
    /// left pairs in order as Changed; the rest of the running side is Removed, the rest of the next boot Added.
    /// With <paramref name="next"/> null (unknown), every running occurrence is listed with NextBoot null. With
    /// <paramref name="nextIncomplete"/> (a GRUB variable of the next boot could not be read: it may hold any
    /// argument), a running occurrence the known part lacks is not Removed but unknown (NextBoot null).
    /// </summary>
    public static IReadOnlyList<KernelBootArgument> Compare(IReadOnlyList<KernelArgument> running, IReadOnlyList<KernelArgument>? next, bool nextIncomplete = false)
    {
        var result = new List<KernelBootArgument>();
        var names = running.Select(a => a.Name).Concat(next?.Select(a => a.Name) ?? Enumerable.Empty<string>()).Distinct(StringComparer.Ordinal);
        foreach (string name in names)
        {
            var r = running.Where(a => a.Name == name).ToList();
            bool loader = LoaderArguments.Contains(name);
            if (next is null || loader)
            {
                for (int i = 0; i < r.Count; i++) result.Add(Make(name, i + 1, r[i], null, known: false, pending: ""));
                continue;
            }
            var n = next.Where(a => a.Name == name).ToList();
            var pairOf = new int[r.Count];
            var nUsed = new bool[n.Count];
            for (int i = 0; i < r.Count; i++)
            {
                pairOf[i] = -1;
                for (int j = 0; j < n.Count; j++)
                {
                    if (!nUsed[j] && string.Equals(r[i].Value, n[j].Value, StringComparison.Ordinal))
                    {
                        pairOf[i] = j;
                        nUsed[j] = true;
                        break;
                    }
                }
            }
            var leftNext = new Queue<int>(Enumerable.Range(0, n.Count).Where(j => !nUsed[j]));
            for (int i = 0; i < r.Count; i++)
            {
                if (pairOf[i] >= 0)
                {
                    result.Add(Make(name, i + 1, r[i], n[pairOf[i]], known: true, pending: ""));
                }
                else if (leftNext.Count > 0)
                {
                    result.Add(Make(name, i + 1, r[i], n[leftNext.Dequeue()], known: true, pending: "Changed"));
                }
                else
                {
                    result.Add(Make(name, i + 1, r[i], null, known: !nextIncomplete, pending: nextIncomplete ? "" : "Removed"));
                }
            }
            int occurrence = r.Count;
            while (leftNext.Count > 0)
            {
                result.Add(Make(name, ++occurrence, null, n[leftNext.Dequeue()], known: true, pending: "Added"));
            }
        }
        return result;
    }

    private static KernelBootArgument Make(string name, int occurrence, KernelArgument? r, KernelArgument? n, bool known, string pending)
    {
        var (flags, cpus) = KernelCommandLine.CpuListArguments.Contains(name)
            ? KernelCommandLine.ParseCpuArgument(name, r?.Value ?? n?.Value)
            : (Array.Empty<string>(), Array.Empty<int>());
        return new KernelBootArgument
        {
            Name = name,
            Occurrence = occurrence,
            Value = r?.Value,
            Running = r is not null,
            NextBoot = known ? n is not null : null,
            NextBootValue = n?.Value,
            Pending = pending,
            Flags = flags,
            Cpus = cpus,
        };
    }
}

/// <summary>Reads the running kernel's arguments (/proc/cmdline) and the next boot's (grubby) and compares them.</summary>
internal sealed class KernelBootArgumentService
{
    private readonly IToolRunner _runner;
    private readonly HostFileSystem _fs;

    public KernelBootArgumentService(IToolRunner runner, HostFileSystem fs)
    {
        _runner = runner;
        _fs = fs;
    }

    /// <summary>Why a value is not one kernel argument grubby can take (name or name=value, no spaces, quotes or leading '-'/'='), or null.</summary>
    public static string? ArgumentProblem(string argument) =>
        argument.Contains('$')
            ? $"'{argument}' is not a kernel argument: a $ names a GRUB variable, filled from {GrubEnvironment.Path} at boot " +
              "($tuned_params is tuned's: change it through the tuned profile's [bootloader] cmdline)."
        : argument.Length == 0 || argument.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\') || argument.StartsWith('=') || argument.StartsWith('-')
            ? $"'{argument}' is not a single kernel argument (name or name=value, no spaces or quotes)."
            : null;

    /// <summary>
    /// Adds and removes arguments of every boot entry (grubby --update-kernel=ALL) and says what the default kernel
    /// boots with next, and whether the running kernel differs from the change (a reboot is needed; nothing reboots).
    /// </summary>
    /// <exception cref="ToolNotFoundException">grubby is not installed.</exception>
    /// <exception cref="GrubbyPermissionDeniedException">grubby may not write the boot entries.</exception>
    /// <exception cref="ToolFailedException">grubby failed otherwise.</exception>
    /// <remarks>
    /// The warnings say what grubby cannot change: an argument a GRUB variable of the entries ($tuned_params, which
    /// tuned's bootloader plugin writes to grubenv) also sets stays or comes twice, whatever grubby does to the entry.
    /// </remarks>
    public async Task<(KernelBootArgumentChange Change, IReadOnlyList<string> Warnings)> ApplyAsync(IReadOnlyCollection<string> add, IReadOnlyCollection<string> remove, CancellationToken ct)
    {
        var grubby = new GrubbyService(_runner);
        await grubby.UpdateAsync(add, remove, ct).ConfigureAwait(false);
        var entry = await grubby.DefaultEntryAsync(ct).ConfigureAwait(false);
        var running = KernelCommandLine.Parse(HostInfo.KernelCommandLine(_fs));
        var expansion = entry is null ? null : Expand(entry);
        var warnings = new List<string>();
        if (expansion is not null)
        {
            var next = KernelCommandLine.Parse(expansion.Text);
            foreach (string r in remove)
            {
                var w = KernelCommandLine.Parse(r).FirstOrDefault();
                foreach (var kept in next.Where(a => w is not null && a.Name == w.Name && (w.Value is null || a.Value == w.Value)))
                {
                    if (expansion.FromVariable.TryGetValue(kept.Text, out string? v))
                        warnings.Add($"{kept.Text} stays in the next boot's arguments: GRUB's ${v} sets it from {GrubEnvironment.Path}{TunedHint(v)}.");
                }
            }
            foreach (string a in add)
            {
                var w = KernelCommandLine.Parse(a).FirstOrDefault();
                foreach (var also in next.Where(x => w is not null && x.Name == w.Name && x.Text != w.Text))
                {
                    if (expansion.FromVariable.TryGetValue(also.Text, out string? v))
                        warnings.Add($"The next boot gets {also.Text} from GRUB's ${v} ({GrubEnvironment.Path}) as well as {a}: the kernel reads both{TunedHint(v)}.");
                }
            }
            if (Note(expansion) is { } note) warnings.Add(note);
        }
        var change = new KernelBootArgumentChange
        {
            CommandLine = GrubbyService.UpdateCommand(add, remove).CommandLine,
            Added = add.ToArray(),
            Removed = remove.ToArray(),
            DefaultKernel = entry?.Kernel,
            NextBootArguments = expansion?.Text,
            RebootRequired = add.Any(a => !KernelCommandLine.Contains(running, a)) || remove.Any(r => KernelCommandLine.Contains(running, r)),
        };
        return (change, warnings);
    }

    private static string TunedHint(string variable) => variable.StartsWith("tuned", StringComparison.Ordinal)
        ? "; tuned's bootloader plugin writes it: change the [bootloader] cmdline of the tuned profile, then switch to the profile again"
        : "";

    /// <summary>The entry's arguments as GRUB gives them to the kernel: its variables read from grubenv (only when it has any).</summary>
    internal GrubExpansion Expand(GrubbyEntry entry)
    {
        var plain = KernelCommandLine.ExpandGrubVariables(entry.FullArgs, null);
        if (plain.Variables.Count == 0) return plain;
        return KernelCommandLine.ExpandGrubVariables(entry.FullArgs, GrubEnvironment.Read(_fs)?.Variables);
    }

    /// <summary>The warning for variables whose value could not be read, or null.</summary>
    private string? Note(GrubExpansion expansion)
    {
        if (expansion.Unresolved.Count == 0) return null;
        string names = string.Join(", ", expansion.Unresolved.Select(n => "$" + n));
        return $"The next boot's arguments include {names}: GRUB fills {(expansion.Unresolved.Count == 1 ? "it" : "them")} from its environment block " +
               $"({GrubEnvironment.Path}) at boot{(expansion.Unresolved.Any(n => n.StartsWith("tuned", StringComparison.Ordinal)) ? ", where tuned's bootloader plugin writes its arguments" : "")}, " +
               $"and {_fs.Map(GrubEnvironment.Path)} cannot be read (run as root, or: grub2-editenv list). The arguments {(expansion.Unresolved.Count == 1 ? "it adds" : "they add")} are unknown, " +
               "so a running argument missing from the rest is not counted as removed.";
    }

    /// <exception cref="KernelCommandLineUnreadableException">/proc/cmdline cannot be read.</exception>
    public async Task<KernelBootArgumentComparison> CompareAsync(CancellationToken ct)
    {
        string cmdline = HostInfo.KernelCommandLine(_fs) ?? throw new KernelCommandLineUnreadableException(_fs.Map("/proc/cmdline"));
        var running = KernelCommandLine.Parse(cmdline);
        var grubby = new GrubbyService(_runner);
        if (!grubby.IsInstalled)
        {
            return new KernelBootArgumentComparison
            {
                Arguments = KernelBootArgumentDiff.Compare(running, null),
                GrubbyMissing = true,
                NextBootUnknownReason = "grubby is not installed: only the running kernel's arguments are shown.",
            };
        }
        GrubbyEntry? entry;
        try
        {
            entry = await grubby.DefaultEntryAsync(ct).ConfigureAwait(false);
        }
        catch (ToolFailedException e)
        {
            return new KernelBootArgumentComparison
            {
                Arguments = KernelBootArgumentDiff.Compare(running, null),
                NextBootUnknownReason = $"The next boot's arguments are unknown: {e.Message}",
            };
        }
        var expansion = entry is null ? null : Expand(entry);
        var next = expansion is null ? null : KernelCommandLine.Parse(expansion.Text);
        var env = expansion is { Variables.Count: > 0 } ? GrubEnvironment.Read(_fs) : null;
        return new KernelBootArgumentComparison
        {
            Arguments = KernelBootArgumentDiff.Compare(running, next, nextIncomplete: expansion is { Unresolved.Count: > 0 }),
            NextBootKernel = entry?.Kernel,
            NextBootArguments = expansion?.Text,
            NextBootUnknownReason = entry is null ? "grubby names no Linux default boot entry: the next boot's arguments are unknown." : null,
            NextBootNote = expansion is null ? null : Note(expansion),
            NextBootVariables = env is { } grubenv
                ? expansion!.Variables.Select(n => $"${n} = '{(grubenv.Variables.TryGetValue(n, out string? v) ? v : "")}' (from {grubenv.File})").ToArray()
                : Array.Empty<string>(),
        };
    }
}

using System.Text;

namespace OnloadTools.Tuning;

/// <summary>
/// A boot entry's options with GRUB's variables expanded: <see cref="Text"/> is what the kernel receives (an
/// unresolved reference kept as written: $tuned_params), <see cref="Variables"/> the variables referenced, <see cref="Unresolved"/> those whose value could not be
/// read (their arguments are unknown), <see cref="FromVariable"/> the variable each expanded word came from.
/// </summary>
internal sealed record GrubExpansion(string Text, IReadOnlyList<string> Variables, IReadOnlyList<string> Unresolved,
    IReadOnlyDictionary<string, string> FromVariable);

/// <summary>One word of a kernel command line: a flag (nosoftlockup) or name=value (isolcpus=1,3).</summary>
internal sealed record KernelArgument(string Name, string? Value)
{
    public string Text => Value is null ? Name : $"{Name}={Value}";
    public override string ToString() => Text;
}

/// <summary>
/// Parses kernel command lines (/proc/cmdline, grubby's args="…", tuned's bootloader cmdline) the way the kernel
/// does: words split on white space, double quotes group, everything after a bare "--" belongs to init.
/// </summary>
internal static partial class KernelCommandLine
{
    /// <summary>Arguments whose value is a CPU list.</summary>
    public static readonly IReadOnlySet<string> CpuListArguments = new HashSet<string>(StringComparer.Ordinal)
    {
        "isolcpus", "nohz_full", "rcu_nocbs", "irqaffinity", "tuned.non_isolcpus_list", "kthread_cpus",
    };

    /// <summary>Flags isolcpus accepts before its CPU list.</summary>
    public static readonly IReadOnlySet<string> IsolcpusFlags = new HashSet<string>(StringComparer.Ordinal)
    {
        "domain", "managed_irq", "nohz",
    };

    /// <summary>
    /// The arguments of a command line. A word that is a GRUB variable reference ($tuned_params, ${kernelopts}: what
    /// grubby prints of a BLS entry's options) is not an argument the kernel receives and is never one here: expand
    /// it first with <see cref="ExpandGrubVariables"/>.
    /// </summary>
    public static IReadOnlyList<KernelArgument> Parse(string? cmdline)
    {
        var result = new List<KernelArgument>();
        if (string.IsNullOrEmpty(cmdline)) return result;
        foreach (string word in SplitWords(cmdline))
        {
            if (word == "--") break;
            if (GrubVariableWord(word) is not null) continue;
            int eq = word.IndexOf('=');
            if (eq <= 0)
            {
                result.Add(new KernelArgument(eq == 0 ? word : word, null));
                continue;
            }
            string value = word[(eq + 1)..];
            if (value.Length >= 2 && value[0] == '"' && value[^1] == '"') value = value[1..^1];
            result.Add(new KernelArgument(word[..eq], value));
        }
        return result;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\$(?:\{(?<n>[A-Za-z_][A-Za-z0-9_]*)\}|(?<n>[A-Za-z_][A-Za-z0-9_]*))", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex GrubVariableRegex();

    /// <summary>The variable's name when the whole word is a GRUB variable reference ($tuned_params, ${kernelopts}); else null.</summary>
    public static string? GrubVariableWord(string word)
    {
        var m = GrubVariableRegex().Match(word);
        return m.Success && m.Index == 0 && m.Length == word.Length ? m.Groups["n"].Value : null;
    }

    /// <summary>
    /// What GRUB makes of a BLS entry's options at boot: each $name or ${name} (tuned's $tuned_params, RHEL 8's
    /// $kernelopts) replaced by its value in the environment block (grubenv), an undefined one by nothing, and the
    /// value split into words. With <paramref name="environment"/> null (grubenv unreadable) the references stay
    /// unresolved: they are named in the result and left out of its text, never taken for arguments.
    /// </summary>
    public static GrubExpansion ExpandGrubVariables(string? options, IReadOnlyDictionary<string, string>? environment)
    {
        var words = new List<string>();
        var referenced = new List<string>();
        var unresolved = new List<string>();
        var fromVariable = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string word in SplitWords(options ?? ""))
        {
            var matches = GrubVariableRegex().Matches(word);
            if (matches.Count == 0)
            {
                words.Add(word);
                continue;
            }
            foreach (System.Text.RegularExpressions.Match m in matches)
            {
                string name = m.Groups["n"].Value;
                if (!referenced.Contains(name)) referenced.Add(name);
                if (environment is null && !unresolved.Contains(name)) unresolved.Add(name);
            }
            if (environment is null)
            {
                // Shown as what it is ($tuned_params stays in the text; Parse never takes it for an argument); a
                // reference inside a word (name=$x) would read as a value, so that word is left out.
                if (GrubVariableWord(word) is not null) words.Add(word);
                continue;
            }
            string expanded = GrubVariableRegex().Replace(word, m => environment!.TryGetValue(m.Groups["n"].Value, out string? v) ? v : "");
            string source = matches[0].Groups["n"].Value;
            foreach (string w in SplitWords(expanded))
            {
                words.Add(w);
                fromVariable.TryAdd(w, source);
            }
        }
        return new GrubExpansion(string.Join(' ', words), referenced, unresolved, fromVariable);
    }

    /// <summary>Splits on white space, keeping double-quoted parts together (quotes are kept in the word).</summary>
    public static IEnumerable<string> SplitWords(string text)
    {
        var sb = new StringBuilder();
        bool quoted = false;
        foreach (char c in text)
        {
            if (c == '"') quoted = !quoted;
            if (!quoted && char.IsWhiteSpace(c))
            {
                if (sb.Length > 0) { yield return sb.ToString(); sb.Clear(); }
                continue;
            }
            sb.Append(c);
        }
        if (sb.Length > 0) yield return sb.ToString();
    }

    /// <summary>isolcpus=[flag,…,]cpu-list → (flags, CPUs). Other CPU-list arguments have no flags.</summary>
    public static (string[] Flags, int[] Cpus) ParseCpuArgument(string name, string? value)
    {
        if (value is null) return (Array.Empty<string>(), Array.Empty<int>());
        if (name != "isolcpus") return (Array.Empty<string>(), CpuList.Parse(value));
        var flags = new List<string>();
        var rest = new List<string>();
        foreach (string part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (rest.Count == 0 && (IsolcpusFlags.Contains(part) || (part.Length > 0 && char.IsAsciiLetter(part[0]))))
                flags.Add(part);
            else
                rest.Add(part);
        }
        return (flags.ToArray(), CpuList.Parse(string.Join(',', rest)));
    }

    /// <summary>The arguments that name CPUs in a CPU list (isolcpus, nohz_full, rcu_nocbs) whose CPUs the kernel rejects when absent.</summary>
    public static readonly IReadOnlySet<string> IsolationArguments = new HashSet<string>(StringComparer.Ordinal)
    {
        "isolcpus", "nohz_full", "rcu_nocbs",
    };

    /// <summary>
    /// One sentence per argument among <paramref name="arguments"/> (isolcpus, nohz_full, rcu_nocbs) naming CPUs
    /// that <paramref name="hostCpus"/> lacks: the kernel ignores or rejects such a list at boot.
    /// </summary>
    public static IReadOnlyList<string> CpusNotOnHost(IEnumerable<string> arguments, IReadOnlyCollection<int> hostCpus)
    {
        var problems = new List<string>();
        if (hostCpus.Count == 0) return problems;
        var have = hostCpus.ToHashSet();
        foreach (var a in arguments.SelectMany(Parse))
        {
            if (!IsolationArguments.Contains(a.Name) || a.Value is null) continue;
            var (flags, _) = ParseCpuArgument(a.Name, a.Value);
            var missing = new SortedSet<int>();
            var beyond = new List<string>(); // numbers no kernel has (CpuList drops them rather than guess)
            foreach (string part in a.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (flags.Contains(part)) continue;
                string range = part.Split(':')[0];
                string[] ends = range.Split('-');
                if (ends.Any(e => e.Length == 0 || !e.All(char.IsAsciiDigit))) continue; // not a CPU list part
                if (ends.Any(e => !int.TryParse(e, out int n) || n > 8191)) { beyond.Add(part); continue; }
                foreach (int c in CpuList.Parse(part)) if (!have.Contains(c)) missing.Add(c);
            }
            if (missing.Count == 0 && beyond.Count == 0) continue;
            string named = string.Join(",", (missing.Count > 0 ? new[] { CpuList.Format(missing) } : Array.Empty<string>()).Concat(beyond));
            problems.Add($"{a.Text} names CPU(s) {named} that this host does not have (its CPUs are {CpuList.Format(hostCpus)}): " +
                         "the kernel would ignore or reject the list at boot.");
        }
        return problems;
    }

    /// <summary>True when <paramref name="wanted"/> ("isolcpus=1,3" or "nosoftlockup") is on the command line as given.</summary>
    public static bool Contains(IReadOnlyList<KernelArgument> args, string wanted)
    {
        var w = Parse(wanted).FirstOrDefault();
        if (w is null) return false;
        return args.Any(a => a.Name == w.Name && (w.Value is null || a.Value == w.Value));
    }
}

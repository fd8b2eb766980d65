using System.Globalization;
using OnloadTools.Host;
using OnloadTools.Onload;
using OnloadTools.Processes;
using OnloadTools.Readiness;
using OnloadTools.Solarflare;
using OnloadTools.Tuning;

namespace OnloadTools
{
    /// <summary>
    /// The facts of the host a run was measured on that explain its latency: kernel, boot command line, tuned profile
    /// (and whether the system still matches it), isolated CPUs, the NIC, CPU model, clocksource, Onload release and the
    /// EF_* settings of the Onload profile used. Read once, before a run's first iteration. Flat (strings and numbers),
    /// so it survives remoting and JSON. A fact that could not be read is null.
    /// </summary>
    public sealed class HostFacts
    {
        public string? KernelRelease { get; set; }
        public string? KernelCommandLine { get; set; }
        public string? TunedProfile { get; set; }
        /// <summary>'tuned-adm verify': true when the system matches the profile, false when not, null when unknown.</summary>
        public bool? TunedProfileVerified { get; set; }
        /// <summary>The CPUs the kernel keeps apart (isolcpus, nohz_full, tuned's cpu-partitioning), as a CPU list; "" for none.</summary>
        public string? IsolatedCpus { get; set; }
        /// <summary>The interface the NIC facts are of: the first Solarflare one, else the default route's.</summary>
        public string? NicInterface { get; set; }
        public string? NicDriver { get; set; }
        public string? NicFirmware { get; set; }
        public int? NicMtu { get; set; }
        public string? CpuModel { get; set; }
        public string? Clocksource { get; set; }
        public string? OnloadVersion { get; set; }
        /// <summary>The Onload profile the run used (--profile), or null without Onload.</summary>
        public string? OnloadProfile { get; set; }
        /// <summary>The EF_* settings the profile's .opf file applies, as onload applies them (imports followed, the first
        /// setting of a variable wins), sorted: "EF_POLL_USEC=100000 EF_TCP_FASTSTART_IDLE=0". Null when the file was not found.</summary>
        public string? OnloadProfileSettings { get; set; }

        /// <summary>A copy, so each run holds its own (a script that edits one run's facts changes no other run).</summary>
        internal HostFacts Copy() => (HostFacts)MemberwiseClone();

        public override string ToString() =>
            string.Join(", ", new[] { KernelRelease, TunedProfile, NicDriver, OnloadVersion }.Where(v => v is { Length: > 0 }));
    }
}

namespace OnloadTools.Host
{
    /// <summary>
    /// Reads <see cref="HostFacts"/> through the host root (tests use fake trees) and three short tool calls
    /// (tuned-adm verify, ethtool -i, onload --version), each skipped when the tool is absent. Never throws but for a
    /// cancellation: a fact that cannot be read is null. Runs before a measurement, never during one.
    /// </summary>
    internal static class HostFactsReader
    {
        // A fact is worth a moment before the first iteration, never a wait: tuned-adm verify takes about 0.3 s, but a
        // busy or wedged tuned daemon made it take up to the old 15 s per session (clean-clone CI #3: a measurement that
        // did not start within 30 s). Past this the fact is null (unknown), as for a tool that is absent.
        private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(3);

        public static async Task<HostFacts> ReadAsync(HostFileSystem fs, IToolRunner runner, string? onloadProfile, string? onloadVersion, CancellationToken ct)
        {
            var facts = ReadFiles(fs, onloadProfile);
            facts.TunedProfileVerified = await Try(async () =>
            {
                if (runner.Which(TunedService.TunedAdm) is null) return (bool?)null;
                var r = await runner.RunAsync(TunedService.VerifyCommand(), ToolTimeout, ct).ConfigureAwait(false);
                return TunedAdmParser.ParseVerify(r.CombinedOutput) switch
                {
                    TunedVerifyOutcome.Succeeded => true,
                    TunedVerifyOutcome.Failed => false,
                    _ => (bool?)null,
                };
            }).ConfigureAwait(false);
            if (facts.NicInterface is { } nic)
            {
                facts.NicFirmware = await Try(async () =>
                {
                    if (runner.Which("ethtool") is null) return null;
                    var r = await runner.RunAsync(new ToolCommand("ethtool", "-i", nic), ToolTimeout, ct).ConfigureAwait(false);
                    var info = EthtoolInfoParser.Parse(r.Succeeded ? r.StandardOutput : null);
                    if (facts.NicDriver is null && info.TryGetValue("driver", out var d) && d.Length > 0) facts.NicDriver = d;
                    return info.TryGetValue("firmware-version", out var f) && f.Length > 0 && f != "N/A" ? f : null;
                }).ConfigureAwait(false);
            }
            facts.OnloadVersion = onloadVersion ?? await Try(() => OnloadVersionQuery.HostVersionAsync(runner, ct)).ConfigureAwait(false);
            return facts;
        }

        /// <summary>The facts that come from files alone (no tool runs).</summary>
        public static HostFacts ReadFiles(HostFileSystem fs, string? onloadProfile)
        {
            var facts = new HostFacts
            {
                KernelRelease = Safe(() => HostInfo.KernelRelease(fs)),
                KernelCommandLine = Safe(() => HostInfo.KernelCommandLine(fs)),
                TunedProfile = Safe(() => HostInfo.ActiveTunedProfile(fs)),
                // Unknown (not "none") when neither the command line nor sysfs's list can be read.
                IsolatedCpus = Safe(() => HostInfo.KernelCommandLine(fs) is null && fs.ReadText("/sys/devices/system/cpu/isolated") is null
                    ? null : CpuList.Format(CpuIsolation.Read(fs).Isolated)),
                CpuModel = Safe(() => CpuModel(fs.ReadText("/proc/cpuinfo"))),
                Clocksource = Safe(() => fs.ReadText(Jitter.JitterSession.ClockSourcePath) is { Length: > 0 } c ? c.Trim() : null),
                OnloadProfile = onloadProfile is { Length: > 0 } ? onloadProfile : null,
            };
            string? nic = Safe(() => NicOf(fs));
            if (nic is not null)
            {
                facts.NicInterface = nic;
                facts.NicDriver = Safe(() => fs.LinkTargetName($"/sys/class/net/{nic}/device/driver"));
                facts.NicMtu = int.TryParse(Safe(() => fs.ReadText($"/sys/class/net/{nic}/mtu")), NumberStyles.None, CultureInfo.InvariantCulture, out int mtu) ? mtu : null;
            }
            if (facts.OnloadProfile is { } profile) facts.OnloadProfileSettings = Safe(() => OnloadProfileFile.Settings(fs, profile));
            return facts;
        }

        /// <summary>The first Solarflare interface, else the interface of the IPv4 default route.</summary>
        internal static string? NicOf(HostFileSystem fs)
        {
            var sfc = new SfcInterfaceReader(fs).Names().FirstOrDefault();
            if (sfc is not null) return sfc;
            return InterfaceAddresses.ParseRoutes(fs.ReadText("/proc/net/route"))
                .Where(r => r.Destination == 0 && r.Mask == 0 && r.Interface is { Length: > 0 }).Select(r => r.Interface).FirstOrDefault();
        }

        /// <summary>"model name" of /proc/cpuinfo (x86), else "Model" or "CPU part" (Arm).</summary>
        internal static string? CpuModel(string? cpuinfo)
        {
            if (string.IsNullOrEmpty(cpuinfo)) return null;
            foreach (string key in new[] { "model name", "Model", "CPU part" })
            {
                foreach (string line in cpuinfo.Split('\n'))
                {
                    int colon = line.IndexOf(':');
                    if (colon > 0 && line[..colon].Trim() == key && line[(colon + 1)..].Trim() is { Length: > 0 } value) return value;
                }
            }
            return null;
        }

        private static T? Safe<T>(Func<T?> read)
        {
            try { return read(); }
            catch (Exception e) when (e is not OperationCanceledException) { return default; }
        }

        private static async Task<T?> Try<T>(Func<Task<T?>> read)
        {
            try { return await read().ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException) { return default; }
        }
    }

    /// <summary>
    /// An Onload profile's .opf file as the onload launcher reads it: a shell fragment where <c>onload_set VAR VALUE</c>
    /// (or <c>onload_set VAR=VALUE</c>) sets a variable unless it is already set, and <c>onload_import NAME</c> reads
    /// another profile (NAME.opf, or NAME.opf-fragment for imports) at that point. Looked up as onload does:
    /// ~/.openonload/profiles, then the installed profile folders; a name with a '/' is a path. Only unindented lines
    /// are read: settings inside shell conditionals (latency-best's CTPIO choice) depend on the host at launch.
    /// </summary>
    internal static class OnloadProfileFile
    {
        /// <summary>The settings "EF_A=1 EF_B=2" (sorted by name), or null when the profile's file is not found.</summary>
        public static string? Settings(HostFileSystem fs, string profile)
        {
            var set = new Dictionary<string, string>(StringComparer.Ordinal);
            if (!Apply(fs, profile, set, topLevel: true, depth: 0)) return null;
            return string.Join(" ", set.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value));
        }

        /// <summary>The file onload would read for a profile name, or null.</summary>
        public static string? Find(HostFileSystem fs, string profile, bool topLevel)
        {
            if (profile.Contains('/')) return fs.FileExists(profile) ? profile : null;
            var dirs = new List<string>();
            if (Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home) dirs.Add(home.TrimEnd('/') + "/.openonload/profiles");
            dirs.AddRange(OnloadFacts.ProfileDirectories);
            foreach (string dir in dirs)
            {
                if (fs.FileExists($"{dir}/{profile}.opf")) return $"{dir}/{profile}.opf";
                if (!topLevel && fs.FileExists($"{dir}/{profile}.opf-fragment")) return $"{dir}/{profile}.opf-fragment";
            }
            return null;
        }

        /// <summary>Parses one .opf text into the settings it makes (imports resolved through <paramref name="import"/>).</summary>
        public static void Parse(string text, IDictionary<string, string> set, Action<string> import)
        {
            foreach (string raw in text.Replace("\r\n", "\n").Split('\n'))
            {
                if (raw.Length == 0 || char.IsWhiteSpace(raw[0]) || raw[0] == '#') continue;
                string line = StripComment(raw).Trim();
                string[] words = line.Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
                if (words.Length >= 2 && words[0] == "onload_import")
                {
                    import(Unquote(words[1]));
                }
                else if (words.Length >= 2 && words[0] == "onload_set")
                {
                    string name, value;
                    if (words.Length == 2)
                    {
                        int eq = words[1].IndexOf('=');
                        if (eq <= 0) continue;
                        name = words[1][..eq];
                        value = words[1][(eq + 1)..];
                    }
                    else
                    {
                        name = words[1];
                        value = words[2];
                    }
                    name = Unquote(name);
                    if (name.Length > 0 && !set.ContainsKey(name)) set[name] = Unquote(value.Trim());
                }
            }
        }

        private static bool Apply(HostFileSystem fs, string profile, Dictionary<string, string> set, bool topLevel, int depth)
        {
            if (depth > 10 || Find(fs, profile, topLevel) is not { } path || fs.ReadText(path) is not { } text) return false;
            Parse(text, set, name => Apply(fs, name, set, topLevel: false, depth + 1));
            return true;
        }

        private static string StripComment(string line)
        {
            bool single = false, dbl = false;
            for (int i = 0; i < line.Length; i++)
            {
                char c = line[i];
                if (c == '\'' && !dbl) single = !single;
                else if (c == '"' && !single) dbl = !dbl;
                else if (c == '#' && !single && !dbl && (i == 0 || char.IsWhiteSpace(line[i - 1]))) return line[..i];
            }
            return line;
        }

        private static string Unquote(string s)
        {
            s = s.Trim();
            return s.Length >= 2 && (s[0] == '"' || s[0] == '\'') && s[^1] == s[0] ? s[1..^1] : s;
        }
    }

    /// <summary>
    /// Which facts differ between the two sides of a comparison, in words: "kernel 5.14.0-427 → 5.14.0-503; tuned
    /// network-latency → throughput-performance". A side of several runs shows its distinct values ("a, b"); a fact
    /// unknown on either side is not called a difference; sides without facts (older files) give null.
    /// </summary>
    internal static class HostFactsDifference
    {
        private static readonly (string Name, Func<HostFacts, string?> Get)[] Facts =
        {
            ("kernel", f => f.KernelRelease),
            ("tuned", f => f.TunedProfile),
            ("tuned verified", f => f.TunedProfileVerified is { } v ? (v ? "yes" : "no") : null),
            ("isolated CPUs", f => f.IsolatedCpus is null ? null : f.IsolatedCpus.Length == 0 ? "none" : f.IsolatedCpus),
            ("NIC", f => f.NicInterface),
            ("driver", f => f.NicDriver),
            ("firmware", f => f.NicFirmware),
            ("MTU", f => f.NicMtu?.ToString(CultureInfo.InvariantCulture)),
            ("CPU", f => f.CpuModel),
            ("clocksource", f => f.Clocksource),
            ("Onload", f => f.OnloadVersion),
            ("Onload profile", f => f.OnloadProfile),
        };

        public static string? Describe(IEnumerable<HostFacts?> reference, IEnumerable<HostFacts?> difference)
        {
            var a = reference.OfType<HostFacts>().ToArray();
            var b = difference.OfType<HostFacts>().ToArray();
            if (a.Length == 0 || b.Length == 0) return null;
            var parts = new List<string>();
            foreach (var (name, get) in Facts)
            {
                if (Side(a, get) is { } x && Side(b, get) is { } y && x != y) parts.Add($"{name} {x} → {y}");
            }
            if (CommandLineDifference(a, b) is { } cmdline) parts.Insert(Math.Min(1, parts.Count), cmdline);
            parts.AddRange(SettingDifferences(a, b));
            return parts.Count == 0 ? null : string.Join("; ", parts);
        }

        /// <summary>"cmdline -isolcpus=2-3 +nohz_full=2-3": the arguments only one side's command line has (each side one
        /// command line; several on a side: "cmdline differs").</summary>
        private static string? CommandLineDifference(HostFacts[] a, HostFacts[] b)
        {
            var la = a.Select(f => f.KernelCommandLine).Where(v => v is { Length: > 0 }).Distinct(StringComparer.Ordinal).ToArray();
            var lb = b.Select(f => f.KernelCommandLine).Where(v => v is { Length: > 0 }).Distinct(StringComparer.Ordinal).ToArray();
            if (la.Length == 0 || lb.Length == 0 || la.SequenceEqual(lb)) return null;
            if (la.Length > 1 || lb.Length > 1) return "cmdline differs";
            var ta = la[0]!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var tb = lb[0]!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var removed = ta.Except(tb, StringComparer.Ordinal).Select(t => "-" + t);
            var added = tb.Except(ta, StringComparer.Ordinal).Select(t => "+" + t);
            string change = string.Join(" ", removed.Concat(added));
            return change.Length == 0 ? "cmdline reordered" : "cmdline " + change;
        }

        /// <summary>The side's distinct known values joined ("a, b"), or null when no run of it knows the fact.</summary>
        private static string? Side(HostFacts[] side, Func<HostFacts, string?> get)
        {
            var values = side.Select(get).Where(v => v is { Length: > 0 }).Distinct(StringComparer.Ordinal).ToArray();
            return values.Length == 0 ? null : string.Join(", ", values);
        }

        /// <summary>"EF_POLL_USEC 100000 → 0" per variable, when every run of each side read its profile's settings.</summary>
        private static IEnumerable<string> SettingDifferences(HostFacts[] a, HostFacts[] b)
        {
            if (a.Any(f => f.OnloadProfileSettings is null) || b.Any(f => f.OnloadProfileSettings is null)) yield break;
            var sa = a.Select(f => Settings(f.OnloadProfileSettings)).ToArray();
            var sb = b.Select(f => Settings(f.OnloadProfileSettings)).ToArray();
            foreach (string name in sa.Concat(sb).SelectMany(d => d.Keys).Distinct().Order(StringComparer.Ordinal))
            {
                string x = string.Join(", ", sa.Select(d => d.GetValueOrDefault(name, "unset")).Distinct());
                string y = string.Join(", ", sb.Select(d => d.GetValueOrDefault(name, "unset")).Distinct());
                if (x != y) yield return $"{name} {x} → {y}";
            }
        }

        private static Dictionary<string, string> Settings(string? text)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string pair in (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = pair.IndexOf('=');
                if (eq > 0) map.TryAdd(pair[..eq], pair[(eq + 1)..]);
            }
            return map;
        }
    }
}

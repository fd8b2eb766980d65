using System.Text;
using OnloadTools.Processes;

namespace OnloadTools.Tuning;

/// <summary>
/// A tuned profile switch before it runs (Invoke-TunedProfile): from which profile to which (null: off), the command,
/// and every sysctl/sysfs value either profile controls as it is now. <see cref="Description"/> is what -WhatIf and
/// -Confirm show; <see cref="TunedService.SwitchAsync(TunedProfileSwitch, CancellationToken)"/> runs it and reports the
/// values before and after.
/// </summary>
internal sealed class TunedProfileSwitch
{
    public required string? PreviousProfile { get; init; }
    /// <summary>The profile to switch to; null to turn tuning off.</summary>
    public required string? Profile { get; init; }
    /// <summary>The new profile's effective settings (null for off, or when the profile's files are not on this host).</summary>
    public required EffectiveProfile? Next { get; init; }
    public required IReadOnlyList<(ProbedSetting Probe, string? Value)> Before { get; init; }
    /// <summary>The settings the new profile sets (a subset of <see cref="Before"/>'s probes, by plugin and name).</summary>
    public required IReadOnlyList<ProbedSetting> Wanted { get; init; }
    public required ToolCommand Command { get; init; }

    public bool Sets(ProbedSetting probe) => Wanted.Any(w => w.Plugin == probe.Plugin && w.Name == probe.Name);

    /// <summary>The exact command and each live value that would change, the ones this host lacks, and the kernel arguments for the next boot.</summary>
    public string Description
    {
        get
        {
            var sb = new StringBuilder();
            sb.Append($"Switching tuned from '{PreviousProfile ?? "(none)"}' to '{Profile ?? "(off)"}': {Command.CommandLine}");
            if (Next is null) return sb.ToString();
            var touched = Before.Where(b => Sets(b.Probe)).ToList();
            var changes = touched.Where(b => b.Value is not null && !TunedSettingProbe.Satisfies(b.Value, b.Probe.Expected)).ToList();
            var absent = touched.Where(b => b.Value is null).Select(b => b.Probe.Name).ToList();
            if (changes.Count == 0)
            {
                sb.Append("; no sysctl/sysfs value it sets differs from the current one");
            }
            else
            {
                sb.Append("; would change ");
                sb.Append(string.Join(", ", changes.Select(c => $"{c.Probe.Name} {c.Value} -> {c.Probe.Expected}")));
            }
            if (absent.Count > 0) sb.Append($"; not present on this host: {string.Join(", ", absent)}");
            if (Next.BootCommandLine.Length > 0) sb.Append($"; kernel arguments for the next boot: {Next.BootCommandLine}");
            return sb.ToString();
        }
    }
}

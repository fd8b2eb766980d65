using System.Management.Automation;
using OnloadTools.Host;
using OnloadTools.Processes;
using OnloadTools.Tuning;

namespace OnloadTools.Commands;

/// <summary>
/// Get-KernelBootArgument: the running kernel's arguments (/proc/cmdline) and, where grubby exists, the arguments
/// the default kernel boots with next, so pending changes show.
/// </summary>
[Cmdlet(VerbsCommon.Get, "KernelBootArgument")]
[OutputType(typeof(KernelBootArgument))]
public sealed class GetKernelBootArgumentCommand : OnloadCmdlet
{
    /// <summary>Argument names (wildcards allowed): isolcpus, nohz*, …</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    /// <summary>Only the arguments whose next boot differs from the running kernel.</summary>
    [Parameter]
    public SwitchParameter Pending { get; set; }

    // Added by the boot loader, not part of the entry's arguments.
    private static readonly HashSet<string> LoaderArguments = new(StringComparer.Ordinal) { "BOOT_IMAGE", "initrd" };

    protected override void EndProcessing()
    {
        string? cmdline = HostInfo.KernelCommandLine(HostFs);
        if (cmdline is null)
        {
            ThrowTerminatingError(Error(new FileNotFoundException($"{HostFs.Map("/proc/cmdline")} cannot be read."), "KernelCommandLineUnreadable",
                ErrorCategory.ResourceUnavailable, "/proc/cmdline"));
        }
        var running = KernelCommandLine.Parse(cmdline);
        IReadOnlyList<KernelArgument>? next = null;
        var grubby = new GrubbyService(Runner);
        if (grubby.IsInstalled)
        {
            try
            {
                var entry = Await(grubby.DefaultEntryAsync(Cancellation));
                if (entry is not null) next = KernelCommandLine.Parse(entry.FullArgs);
                WriteVerbose($"Next boot ({entry?.Kernel ?? "default kernel"}): {entry?.FullArgs}");
            }
            catch (OperationCanceledException) when (Cancellation.IsCancellationRequested) { throw new PipelineStoppedException(); }
            catch (ToolFailedException e)
            {
                WriteWarning($"The next boot's arguments are unknown: {e.Message}");
            }
        }
        else
        {
            WriteVerbose("grubby is not installed: only the running kernel's arguments are shown.");
        }

        var names = running.Select(a => a.Name).Concat(next?.Select(a => a.Name) ?? Enumerable.Empty<string>()).Distinct().ToList();
        var patterns = Name?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();
        foreach (string name in names)
        {
            if (patterns is not null && !patterns.Any(p => p.IsMatch(name))) continue;
            var r = running.LastOrDefault(a => a.Name == name);
            var n = next?.LastOrDefault(a => a.Name == name);
            var arg = new KernelBootArgument
            {
                Name = name,
                Value = r?.Value,
                Running = r is not null,
                NextBoot = next is null || LoaderArguments.Contains(name) ? null : n is not null,
                NextBootValue = n?.Value,
            };
            if (next is not null && !LoaderArguments.Contains(name))
            {
                arg.Pending = (r, n) switch
                {
                    (null, not null) => "Added",
                    (not null, null) => "Removed",
                    (not null, not null) when r.Value != n.Value => "Changed",
                    _ => "",
                };
            }
            var (flags, cpus) = KernelCommandLine.CpuListArguments.Contains(name)
                ? KernelCommandLine.ParseCpuArgument(name, r?.Value ?? n?.Value)
                : (Array.Empty<string>(), Array.Empty<int>());
            arg.Flags = flags;
            arg.Cpus = cpus;
            if (Pending.IsPresent && arg.Pending.Length == 0) continue;
            WriteObject(arg);
        }
    }
}

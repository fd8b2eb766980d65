using OnloadTools.Processes;

namespace OnloadTools.Solarflare;

/// <summary>What Update-SfcFirmware would write to one port's adapter (or every adapter), read before anything is written.</summary>
internal sealed class SfcFirmwarePlan
{
    /// <summary>The port asked for; null for every Solarflare adapter.</summary>
    public required string? InterfaceName { get; init; }
    public required ToolCommand Command { get; init; }
    /// <summary>The ports the write covers, as sfupdate listed them before it.</summary>
    public required IReadOnlyList<SfupdatePort> Ports { get; init; }
    /// <summary>The ports whose flash holds older images than the utility carries.</summary>
    public required IReadOnlyList<SfupdatePort> Pending { get; init; }
    public required bool Force { get; init; }

    /// <summary>"p1p1" or "all Solarflare adapters": what the command works on.</summary>
    public string Target => InterfaceName ?? "all Solarflare adapters";

    /// <summary>Nothing to write: the flash holds the utility's versions and -Force was not given.</summary>
    public bool UpToDate => Pending.Count == 0 && !Force;

    /// <summary>What the write changes: "p1p1: controller firmware 3.3.1.1003; …", or a rewrite under -Force.</summary>
    public string Description => Pending.Count == 0 ? "rewrite the current firmware"
        : string.Join("; ", Pending.Select(p => $"{p.InterfaceName}: {string.Join(", ", p.AvailableUpdates)}"));

    /// <summary>The result of each port when nothing is written (<see cref="UpToDate"/>).</summary>
    public IEnumerable<SfcFirmwareUpdate> Unchanged() =>
        Ports.Select(p => SfcFirmware.Result(p, p, Array.Empty<SfupdateWrite>(), "", DateTime.UtcNow, 0));
}

/// <summary>What one firmware write did: sfupdate's transcript and each port's before/after.</summary>
internal sealed record SfcFirmwareWritten(IReadOnlyList<SfupdateWrite> Writes, IReadOnlyList<SfcFirmwareUpdate> Results);

/// <summary>
/// Update-SfcFirmware's domain, as <see cref="SfcPartitioning"/> is Set-SfcPartitioning's: the plan read before the
/// write (which ports, which images are newer), the write itself, and each port's versions before and after, read back
/// from the adapter once sfupdate has written.
/// </summary>
internal static class SfcFirmware
{
    /// <summary>Reads the flash of the port (or of every adapter) and what sfupdate would write.</summary>
    /// <exception cref="SfcAdapterNotFoundException">sfupdate found no Solarflare adapter (for the port).</exception>
    public static async Task<SfcFirmwarePlan> PlanAsync(SfcToolService service, string? interfaceName, bool force, CancellationToken ct)
    {
        var (_, ports) = await service.ReadFirmwarePortsAsync(interfaceName, ct).ConfigureAwait(false);
        return new SfcFirmwarePlan
        {
            InterfaceName = interfaceName,
            Command = SfcToolService.SfupdateWrite(interfaceName, force),
            Ports = ports,
            Pending = ports.Where(p => p.AvailableUpdates.Count > 0).ToList(),
            Force = force,
        };
    }

    /// <summary>Runs the plan's write, then reads the flash back: one result per planned port, its versions before and after.</summary>
    public static async Task<SfcFirmwareWritten> WriteAsync(SfcToolService service, SfcFirmwarePlan plan, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var (_, written) = await service.WriteFirmwareAsync(plan.Command, ct).ConfigureAwait(false);
        double seconds = (DateTime.UtcNow - started).TotalSeconds;
        var after = await service.ReadFirmwareAsync(plan.InterfaceName, ct).ConfigureAwait(false);
        var results = plan.Ports.Select(p => Result(p, after.Ports.FirstOrDefault(x => x.InterfaceName == p.InterfaceName) ?? p,
            written.Writes.Where(w => w.InterfaceName == p.InterfaceName).ToArray(), plan.Command.CommandLine, started, seconds)).ToList();
        return new SfcFirmwareWritten(written.Writes, results);
    }

    /// <summary>One port's before/after; Updated when an image was written or a version changed.</summary>
    public static SfcFirmwareUpdate Result(SfupdatePort before, SfupdatePort after, SfupdateWrite[] writes, string commandLine, DateTime start, double seconds)
    {
        var r = new SfcFirmwareUpdate
        {
            InterfaceName = before.InterfaceName,
            CommandLine = commandLine,
            ControllerVersionBefore = before.ControllerVersion,
            ControllerVersionAfter = after.ControllerVersion,
            BootRomVersionBefore = before.BootRomVersion,
            BootRomVersionAfter = after.BootRomVersion,
            BundleVersionBefore = before.BundleVersion,
            BundleVersionAfter = after.BundleVersion,
            Writes = writes.Select(w => $"{w.Component} {w.From} -> {w.To}").ToArray(),
            StartTime = start,
            DurationSeconds = Math.Round(seconds, 3),
        };
        r.Updated = r.Writes.Length > 0
            || r.ControllerVersionBefore != r.ControllerVersionAfter
            || r.BootRomVersionBefore != r.BootRomVersionAfter
            || r.BundleVersionBefore != r.BundleVersionAfter;
        return r;
    }
}

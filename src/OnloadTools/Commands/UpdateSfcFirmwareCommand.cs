using System.Management.Automation;
using OnloadTools.Processes;
using OnloadTools.Solarflare;

namespace OnloadTools.Commands;

/// <summary>Update-SfcFirmware: `sfupdate --write` for one port's adapter or for every adapter, with the versions before and after.</summary>
[Cmdlet(VerbsData.Update, "SfcFirmware", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(SfcFirmwareUpdate))]
public sealed class UpdateSfcFirmwareCommand : OnloadCmdlet
{
    /// <summary>Ports whose adapter to update (sfupdate --adapter). Omitted: every Solarflare adapter.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ValidatePattern(@"^[A-Za-z0-9][A-Za-z0-9_.@\-]*$")]
    [ArgumentCompleter(typeof(SfcInterfaceNameCompleter))]
    public string[]? InterfaceName { get; set; }

    /// <summary>Writes even when the flash already holds the utility's versions (sfupdate --force).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private bool _sawInput;

    protected override void ProcessRecord()
    {
        if (InterfaceName is null) return;
        _sawInput = true;
        foreach (string name in InterfaceName) Update(name);
    }

    protected override void EndProcessing()
    {
        if (!_sawInput) Update(null);
    }

    private void Update(string? name)
    {
        var service = new SfcToolService(Runner);
        string target = name ?? "all Solarflare adapters";

        IReadOnlyList<SfupdatePort> ports;
        try
        {
            (_, ports) = Await(service.ReadFirmwarePortsAsync(name, Cancellation));
        }
        catch (Exception e) { if (!WriteDomainError(e, name)) throw; return; }

        var command = SfcToolService.SfupdateWrite(name, Force);
        var pending = ports.Where(p => p.AvailableUpdates.Count > 0).ToList();
        if (pending.Count == 0 && !Force)
        {
            WriteVerbose($"{target}: the flash already holds the versions sfupdate carries; '{command.CommandLine}' was not run (use -Force to write anyway).");
            foreach (var p in ports) WriteObject(Result(p, p, Array.Empty<SfupdateWrite>(), "", DateTime.UtcNow, 0));
            return;
        }

        string what = pending.Count == 0 ? "rewrite the current firmware"
            : string.Join("; ", pending.Select(p => $"{p.InterfaceName}: {string.Join(", ", p.AvailableUpdates)}"));
        if (!ShouldProcess(target, $"Run '{command.CommandLine}' ({what}). The ports lose their link while the controller firmware is written"))
            return;

        var progress = new ProgressRecord(2, "Update-SfcFirmware", $"Writing firmware to {target}") { CurrentOperation = command.CommandLine };
        var started = DateTime.UtcNow;
        void Tick()
        {
            progress.StatusDescription = $"Writing firmware to {target} ({(DateTime.UtcNow - started).TotalSeconds:0} s elapsed)";
            WriteProgress(progress);
        }
        Tick();
        SfupdateOutput written;
        try
        {
            (_, written) = Await(service.WriteFirmwareAsync(command, Cancellation), Tick);
        }
        catch (Exception e) { if (!WriteDomainError(e, name)) throw; return; }
        finally
        {
            progress.RecordType = ProgressRecordType.Completed;
            if (!Stopping) WriteProgress(progress);
        }
        double seconds = (DateTime.UtcNow - started).TotalSeconds;
        foreach (var w in written.Writes) WriteVerbose($"{w.InterfaceName}: {w.Component} {w.From} -> {w.To}");

        SfupdateOutput after;
        try
        {
            after = Await(service.ReadFirmwareAsync(name, Cancellation));
        }
        catch (Exception e) { if (!WriteDomainError(e, name)) throw; return; }

        foreach (var p in ports)
        {
            var a = after.Ports.FirstOrDefault(x => x.InterfaceName == p.InterfaceName) ?? p;
            WriteObject(Result(p, a, written.Writes.Where(w => w.InterfaceName == p.InterfaceName).ToArray(), command.CommandLine, started, seconds));
        }
    }

    private static SfcFirmwareUpdate Result(SfupdatePort before, SfupdatePort after, SfupdateWrite[] writes, string commandLine, DateTime start, double seconds)
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

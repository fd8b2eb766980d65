using System.Management.Automation;
using OnloadTools.Solarflare;

namespace OnloadTools.Commands;

/// <summary>
/// Update-SfcFirmware: `sfupdate --write` for one port's adapter or for every adapter, with the versions before and
/// after. The plan, the write and the before/after are <see cref="SfcFirmware"/>'s; this binds, asks and shows.
/// </summary>
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

    protected override void Process()
    {
        if (InterfaceName is null) return;
        _sawInput = true;
        foreach (string name in InterfaceName) TryItem(() => Update(name), name);
    }

    protected override void End()
    {
        if (!_sawInput) TryItem(() => Update(null), null);
    }

    private void Update(string? name)
    {
        var service = new SfcToolService(Runner);
        SfcFirmwarePlan plan = Await(SfcFirmware.PlanAsync(service, name, Force, Cancellation));
        if (plan.UpToDate)
        {
            WriteVerbose($"{plan.Target}: the flash already holds the versions sfupdate carries; '{plan.Command.CommandLine}' was not run (use -Force to write anyway).");
            foreach (var r in plan.Unchanged()) WriteObject(r);
            return;
        }
        if (!ShouldProcess(plan.Target, $"Run '{plan.Command.CommandLine}' ({plan.Description}). The ports lose their link while the controller firmware is written"))
            return;

        var progress = new ProgressRecord(2, "Update-SfcFirmware", $"Writing firmware to {plan.Target}") { CurrentOperation = plan.Command.CommandLine };
        var started = DateTime.UtcNow;
        void Tick()
        {
            progress.StatusDescription = $"Writing firmware to {plan.Target} ({(DateTime.UtcNow - started).TotalSeconds:0} s elapsed)";
            WriteProgress(progress);
        }
        Tick();
        SfcFirmwareWritten written;
        try
        {
            written = Await(SfcFirmware.WriteAsync(service, plan, Cancellation), Tick);
        }
        finally
        {
            progress.RecordType = ProgressRecordType.Completed;
            if (!Stopping) WriteProgress(progress);
        }
        foreach (var w in written.Writes) WriteVerbose($"{w.InterfaceName}: {w.Component} {w.From} -> {w.To}");
        foreach (var r in written.Results) WriteObject(r);
    }
}
